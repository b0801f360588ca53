"""The in-app inbox page and API: a user sees, and marks read, only their own messages."""

import pytest

from onboarding.notifications.models import InboxMessage
from tests.notifications.conftest import send


@pytest.fixture
def inbox_message(customer, deliver):
    send(customer, "inbox:1", channels=["in_app"], subject="Your invoice is paid")
    deliver()
    return InboxMessage.objects.get(recipient=customer)


def test_the_inbox_page_lists_my_messages_with_the_unread_count(customer_client, inbox_message):
    response = customer_client.get("/inbox/")
    assert response.status_code == 200
    assert b"Your invoice is paid" in response.content
    assert response.context["unread_count"] == 1


def test_the_inbox_page_needs_a_signed_in_user(client, db):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_detail_page_shows_my_message(customer_client, inbox_message):
    response = customer_client.get(f"/inbox/{inbox_message.pk}/")
    assert response.status_code == 200
    assert b"Body of inbox:1" in response.content


def test_marking_a_message_read_on_the_page_lowers_the_unread_count(customer_client, inbox_message):
    response = customer_client.post(f"/inbox/{inbox_message.pk}/read")
    assert response.status_code == 302
    inbox_message.refresh_from_db()
    assert inbox_message.read_at is not None
    assert customer_client.get("/inbox/").context["unread_count"] == 0


def test_marking_read_with_htmx_answers_the_updated_row(customer_client, inbox_message):
    response = customer_client.post(f"/inbox/{inbox_message.pk}/read", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="inbox-{inbox_message.pk}"'.encode() in response.content
    assert b"Unread" not in response.content


def test_another_customers_message_is_a_404_on_the_page(other_customer_client, inbox_message):
    assert other_customer_client.get(f"/inbox/{inbox_message.pk}/").status_code == 404


def test_another_customer_cannot_mark_my_message_read_on_the_page(
    other_customer_client, inbox_message
):
    assert other_customer_client.post(f"/inbox/{inbox_message.pk}/read").status_code == 404
    inbox_message.refresh_from_db()
    assert inbox_message.read_at is None


def test_another_customers_message_is_a_404_through_the_api(other_customer_client, inbox_message):
    response = other_customer_client.get(f"/api/v1/inbox/{inbox_message.pk}")
    assert response.status_code == 404
    assert "Your invoice" not in response.content.decode()


def test_another_customer_cannot_mark_my_message_read_through_the_api(
    other_customer_client, inbox_message
):
    response = other_customer_client.post(f"/api/v1/inbox/{inbox_message.pk}/read")
    assert response.status_code == 404
    inbox_message.refresh_from_db()
    assert inbox_message.read_at is None


def test_another_customers_inbox_list_does_not_show_my_message(
    other_customer_client, inbox_message
):
    response = other_customer_client.get("/api/v1/inbox/")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_staff_do_not_see_a_customers_message(sysops_client, inbox_message):
    assert sysops_client.get(f"/api/v1/inbox/{inbox_message.pk}").status_code == 404
    assert sysops_client.get(f"/inbox/{inbox_message.pk}/").status_code == 404


def test_staff_read_their_own_inbox(sysops, sysops_client, deliver):
    send(sysops, "staff-own", channels=["in_app"], subject="Contract needs review")
    deliver()
    response = sysops_client.get("/api/v1/inbox/")
    assert [m["subject"] for m in response.json()["items"]] == ["Contract needs review"]


def test_the_api_lists_my_messages(customer_client, inbox_message):
    response = customer_client.get("/api/v1/inbox/")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["id"] == inbox_message.pk
    assert item["is_read"] is False


def test_the_api_marks_my_message_read(customer_client, inbox_message):
    response = customer_client.post(f"/api/v1/inbox/{inbox_message.pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert customer_client.get("/api/v1/inbox/summary").json() == {"total": 1, "unread": 0}


def test_the_api_filters_unread_messages(customer_client, customer, deliver, inbox_message):
    send(customer, "inbox:2", channels=["in_app"])
    deliver()
    customer_client.post(f"/api/v1/inbox/{inbox_message.pk}/read")
    response = customer_client.get("/api/v1/inbox/?unread=true")
    assert [item["subject"] for item in response.json()["items"]] == ["Notice inbox:2"]


def test_the_inbox_api_needs_a_signed_in_user(client, db):
    assert client.get("/api/v1/inbox/").status_code == 401


def test_a_malformed_id_is_not_a_server_error(customer_client, inbox_message):
    assert customer_client.get("/inbox/abc/").status_code == 404
    assert customer_client.get("/api/v1/inbox/abc").status_code in (404, 422)
