def test_landing_page_answers(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Support contracts" in response.content
    assert response["X-Request-ID"]


def test_openapi_document_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Onboarding API"
