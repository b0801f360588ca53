"""The health score in the staff API: in the customer view's answer, on its own with its
history, and the managers' queue; unknown customers are a clear 404, unscored ones null."""

import pytest

from tests.health.shown import a_customer, a_test_customer, counted, scored

pytestmark = pytest.mark.django_db

FACTOR_KEYS = {"factor", "label", "cost", "weight", "explanation"}


def test_the_customer_view_answer_carries_the_health_with_its_factors(sysops_client):
    customer = a_customer("Api Co")
    scored(customer, costs={"payment": 30, "card": 10}, trend=-6)
    body = sysops_client.get(f"/api/v1/staff/customers/{customer.pk}/overview").json()
    health = body["health"]
    assert (health["score"], health["band"], health["trend"]) == (60, "yellow", -6)
    assert health["band_label"] == "Yellow" and health["computed_at"]
    assert len(health["factors"]) == 6 and set(health["factors"][0]) == FACTOR_KEYS
    assert [(f["factor"], f["cost"], f["weight"]) for f in health["costliest"]] == [
        ("payment", 30, 30),
        ("card", 10, 10),
    ]
    assert health["costliest"][1]["explanation"] == "The card expired last month."


def test_the_customer_view_answer_has_null_health_until_scored(sysops_client):
    customer = a_customer("Unscored Co")
    body = sysops_client.get(f"/api/v1/staff/customers/{customer.pk}/overview").json()
    assert body["health"] is None


def test_the_health_operation_returns_the_score_with_its_history(manager_client):
    customer = a_customer("History Co")
    scored(customer, costs={"service": 20}, trend=-10, history=[(300, 100), (60, 95), (10, 90)])
    response = manager_client.get(f"/api/v1/staff/customers/{customer.pk}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["customer_id"] == customer.pk and body["history_days"] == 180
    assert body["health"]["score"] == 80
    assert [p["score"] for p in body["history"]] == [95, 90, 80]  # 300 days ago: outside
    assert set(body["history"][0]) == {"computed_at", "score", "band"}


def test_the_health_of_a_customer_not_yet_scored_is_null(sysops_client):
    customer = a_customer("Not Yet Co")
    body = sysops_client.get(f"/api/v1/staff/customers/{customer.pk}/health").json()
    assert body == {
        "customer_id": customer.pk,
        "health": None,
        "history": [],
        "history_days": 180,
        "review": None,
    }


@pytest.mark.parametrize("named", ["999999", "abc", str(2**70)])
def test_the_health_of_an_unknown_customer_is_a_clear_404(sysops_client, named):
    response = sysops_client.get(f"/api/v1/staff/customers/{named}/health")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "customer_unknown"
    assert f"No customer #{named} is known to SysOps" in body["detail"]


def test_customers_cannot_read_a_health_score(customer_client, customer):
    scored(customer.customer, costs={"payment": 30})
    response = customer_client.get(f"/api/v1/staff/customers/{customer.pk}/health")
    assert response.status_code == 404


def test_the_queue_api_ranks_real_customers_worst_first_with_band_counts(sysops_client, sysops):
    worst, fine = a_customer("Worst Co"), a_customer("Fine Co")
    scored(worst, costs={"payment": 30, "acceptance": 20, "service": 20}, trend=-3)
    scored(fine, costs={"engagement": 5})
    scored(a_test_customer("Clock Co", sysops), costs={"payment": 30, "acceptance": 20})
    counted()
    body = sysops_client.get("/api/v1/staff/health").json()
    assert [item["customer_id"] for item in body["items"]] == [worst.pk, fine.pk]
    assert body["bands"] == {"red": 1, "yellow": 0, "green": 1}
    assert (body["count"], body["page"], body["pages"], body["has_next"]) == (2, 1, 1, False)
    assert body["counted_at"]
    assert body["items"][0]["top_factor"]["factor"] == "payment"
    assert body["items"][0]["reference"] == worst.reference
    red = sysops_client.get("/api/v1/staff/health", {"band": "red", "sort": "trend"}).json()
    assert [item["customer_id"] for item in red["items"]] == [worst.pk]


def test_the_queue_api_before_the_first_count_has_null_counts_and_pages_on(sysops_client):
    for n in range(26):
        scored(a_customer(f"Co {n}"), costs={"payment": n})
    body = sysops_client.get("/api/v1/staff/health").json()
    assert (body["count"], body["pages"], body["counted_at"], body["has_next"]) == (
        None,
        None,
        None,
        True,
    )
    assert len(body["items"]) == 25
    past = sysops_client.get("/api/v1/staff/health", {"page": 9}).json()
    assert past["items"] == [] and past["has_next"] is False


def test_the_queue_api_refuses_an_unknown_band_by_name(sysops_client):
    response = sysops_client.get("/api/v1/staff/health", {"band": "purple"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "band"


def test_the_openapi_document_describes_the_health_operations(sysops_client):
    document = sysops_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/staff/customers/{customer_id}/health" in document["paths"]
    assert "/api/v1/staff/health" in document["paths"]
    assert "HealthOut" in document["components"]["schemas"]
