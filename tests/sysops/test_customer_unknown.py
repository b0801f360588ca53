""" "Customer unknown to SysOps. Notify admin.": a clear not-found answer and an admin alert."""

import pytest
from django.urls import reverse

from onboarding.alerts.models import AdminAlert
from onboarding.notifications.models import OutboxMessage
from onboarding.notifications.relay import relay_drain
from onboarding.notifications.services import outbox_publish
from onboarding.sysops.models import ServiceRequest
from onboarding.sysops.services import REQUEST_REPORTED_TOPIC
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
UNKNOWN_ID = 987654


def _alerts():
    return AdminAlert.objects.filter(reason="customer_unknown")


def test_the_customer_page_for_an_unknown_id_says_so_and_alerts_an_admin(sysops_client):
    response = sysops_client.get(reverse("sysops:customer", args=[UNKNOWN_ID]))
    assert response.status_code == 404
    assert "Customer unknown to SysOps" in response.content.decode()
    alert = _alerts().get()
    assert alert.object_id == str(UNKNOWN_ID)
    assert "staff customer page" in alert.message


def test_the_overview_api_for_an_unknown_id_answers_404_and_alerts_an_admin(sysops_client):
    response = sysops_client.get(f"/api/v1/staff/customers/{UNKNOWN_ID}/overview")
    assert response.status_code == 404
    assert response.json()["code"] == "customer_unknown"
    assert _alerts().get().object_id == str(UNKNOWN_ID)


def test_a_malformed_id_in_the_api_is_an_unknown_customer_not_a_server_error(sysops_client):
    response = sysops_client.get("/api/v1/staff/customers/12abc/overview")
    assert response.status_code == 404
    assert response.json()["code"] == "customer_unknown"


def test_a_staff_user_id_is_not_a_customer(sysops_client, sysops):
    response = sysops_client.get(f"/api/v1/staff/customers/{sysops.pk}/overview")
    assert response.status_code == 404
    assert _alerts().count() == 1


def test_looking_up_the_same_unknown_customer_twice_is_one_alert(sysops_client):
    for _ in range(2):
        sysops_client.get(reverse("sysops:customer", args=[UNKNOWN_ID]))
    assert _alerts().get().count == 2


def test_searching_for_an_exact_email_nobody_has_answers_404_and_alerts(sysops_client, customer):
    response = sysops_client.get(reverse("sysops:customer_search"), {"q": "nobody@nowhere.test"})
    assert response.status_code == 404
    assert "No customer with email nobody@nowhere.test" in response.content.decode()
    assert _alerts().get().object_id == "email:nobody@nowhere.test"


def test_the_search_api_answers_404_for_an_exact_email_nobody_has(sysops_client, customer):
    response = sysops_client.get("/api/v1/staff/customers", {"q": "Nobody@Nowhere.test"})
    assert response.status_code == 404
    assert response.json()["code"] == "customer_unknown"
    assert _alerts().count() == 1


def test_the_email_lookup_api_finds_a_known_customer_without_an_alert(sysops_client, customer):
    response = sysops_client.get("/api/v1/staff/customers/lookup", {"email": customer.email})
    assert response.status_code == 200
    assert response.json()["id"] == customer.pk
    assert not _alerts().exists()


def test_the_email_lookup_api_answers_404_for_an_unknown_address(sysops_client):
    response = sysops_client.get("/api/v1/staff/customers/lookup", {"email": "ghost@x.test"})
    assert response.status_code == 404
    assert response.json()["code"] == "customer_unknown"
    assert _alerts().exists()


def test_a_request_opened_by_staff_for_an_unknown_customer_is_refused_with_an_alert(
    sysops_client,
):
    response = sysops_client.post(
        "/api/v1/staff/requests",
        {
            "customer_id": UNKNOWN_ID,
            "subscription_id": 1,
            "kind": "repair",
            "summary": "Phone call",
            "description": "Caller says the appliance is broken.",
        },
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "customer_unknown"
    assert "staff request API" in _alerts().get().message
    assert not ServiceRequest.objects.exists()


def test_an_event_naming_an_unknown_customer_raises_an_alert_and_is_consumed(db):
    message = outbox_publish(
        topic=REQUEST_REPORTED_TOPIC,
        payload={"customer_id": UNKNOWN_ID, "summary": "Disk alarm", "description": "RAID"},
        dedupe_key="monitoring:alarm:1",
    )
    relay_drain(worker_id="test-relay")
    message.refresh_from_db()
    assert message.status == "sent"  # a retry cannot make the customer known
    assert _alerts().get().object_id == str(UNKNOWN_ID)
    assert not ServiceRequest.objects.exists()


def test_an_event_naming_a_known_customer_opens_a_request(subscription):
    outbox_publish(
        topic=REQUEST_REPORTED_TOPIC,
        payload={
            "customer_id": subscription.customer_id,
            "kind": "repair",
            "severity": "high",
            "summary": "Disk alarm",
            "description": "RAID degraded on node 3",
            "source": "monitoring",
        },
        dedupe_key="monitoring:alarm:2",
    )
    relay_drain(worker_id="test-relay")
    request = ServiceRequest.objects.get()
    assert (request.customer_id, request.severity, request.source) == (
        subscription.customer_id,
        "high",
        "monitoring",
    )
    assert request.opened_by is None
    assert not _alerts().exists()


def test_a_malformed_event_goes_dead_at_once(subscription):
    message = outbox_publish(
        topic=REQUEST_REPORTED_TOPIC,
        payload={"customer_id": subscription.customer_id, "summary": "", "description": ""},
        dedupe_key="monitoring:alarm:3",
    )
    relay_drain(worker_id="test-relay")
    assert OutboxMessage.objects.get(pk=message.pk).status == "dead"


def test_the_live_search_shows_an_unknown_email_in_the_swapped_fragment(sysops_client):
    response = sysops_client.get(
        reverse("sysops:customer_search"),
        {"q": "nobody@nowhere.test"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert 'data-code="customer_unknown"' in response.content.decode()
    assert _alerts().count() == 1


@pytest.fixture
def recordless_client(client):
    # A customer account whose customer record never got written (a failed sign-up step).
    user = UserFactory(customer_record=False)
    client.force_login(user)
    return client, user


def test_a_customer_without_a_record_opening_a_request_in_the_api_is_alerted(recordless_client):
    client, user = recordless_client
    response = client.post(
        "/api/v1/me/requests",
        {"subscription_id": 1, "kind": "repair", "summary": "Help", "description": "Broken"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "customer_unknown"
    assert _alerts().get().object_id == str(user.pk)


def test_a_customer_without_a_record_opening_a_request_in_the_portal_is_alerted(
    recordless_client,
):
    client, _user = recordless_client
    response = client.get(reverse("requests:new"))
    assert response.status_code == 404
    assert "no customer record" in response.content.decode()
    assert "portal request form" in _alerts().get().message
