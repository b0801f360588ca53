def test_landing_page_answers(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Support contracts" in response.content
    assert response["X-Request-ID"]


def test_openapi_document_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Onboarding API"


def test_the_api_root_says_where_its_description_is(client, db):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"] == "http://testserver/api/v1/openapi.json"
    assert body["docs"] == "http://testserver/api/v1/docs"
    assert client.get(body["openapi"]).status_code == 200
