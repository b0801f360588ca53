"""/staff/mail/ and /api/v1/staff/mail/: every email the system sent, and the outbox's state."""

import re

import pytest

from onboarding.audit.models import AuditEntry
from onboarding.notifications.models import OutboxMessage, OutboxStatus, SentMail
from tests.notifications.conftest import point_email_at, send
from tests.services import free_port


@pytest.fixture
def sent_mail(customer, db_mailbox, deliver):
    send(
        customer,
        "mail:1",
        channels=["email"],
        subject="Your contract",
        context={"body": "Signed <script>alert(1)</script>"},
    )
    deliver()
    return SentMail.objects.get()


@pytest.fixture
def dead_message(settings, customer, deliver):
    point_email_at(settings, free_port())  # nobody listens there
    settings.OUTBOX_MAX_ATTEMPTS = 1
    notification = send(customer, "dead:1", channels=["email"], subject="Lost invoice")
    deliver()
    message = notification.deliveries.get()
    assert message.status == OutboxStatus.DEAD
    return message


def test_staff_see_the_list_of_sent_mail(sysops_client, sent_mail):
    response = sysops_client.get("/staff/mail/")
    assert response.status_code == 200
    assert b"Your contract" in response.content


def test_the_list_searches_by_recipient(sysops_client, sent_mail, customer, other_customer):
    assert (
        sysops_client.get(f"/staff/mail/?q={customer.email}").context["page"].paginator.count == 1
    )
    response = sysops_client.get(f"/staff/mail/?q={other_customer.email}")
    assert response.context["page"].paginator.count == 0


def test_the_list_searches_by_subject(sysops_client, sent_mail):
    assert sysops_client.get("/staff/mail/?q=contract").context["page"].paginator.count == 1
    assert sysops_client.get("/staff/mail/?q=invoice").context["page"].paginator.count == 0


def test_the_detail_page_shows_the_text_and_frames_the_html_in_a_sandbox(sysops_client, sent_mail):
    response = sysops_client.get(f"/staff/mail/{sent_mail.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Signed &lt;script&gt;" in body  # the text part, escaped
    iframe = re.search(r"<iframe[^>]*>", body).group(0)
    assert 'sandbox=""' in iframe  # no allow-scripts, no allow-same-origin
    assert f'src="/staff/mail/{sent_mail.pk}/html"' in iframe
    assert "<script>alert" not in body


def test_the_html_view_forbids_scripts_and_may_only_be_framed_by_us(sysops_client, sent_mail):
    response = sysops_client.get(f"/staff/mail/{sent_mail.pk}/html")
    csp = response["Content-Security-Policy"]
    assert response.status_code == 200
    assert "default-src 'none'" in csp and "sandbox" in csp
    assert "script-src" not in csp  # falls back to default-src 'none'
    assert "frame-ancestors 'self'" in csp
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_customers_cannot_see_sent_mail(customer_client, sent_mail):
    assert customer_client.get("/staff/mail/").status_code == 404
    assert customer_client.get(f"/staff/mail/{sent_mail.pk}/html").status_code == 404
    assert customer_client.get("/api/v1/staff/mail/").status_code == 404


def test_the_api_lists_and_reads_sent_mail(sysops_client, sent_mail, customer):
    listed = sysops_client.get("/api/v1/staff/mail/?q=contract").json()
    assert [m["to"] for m in listed["items"]] == [[customer.email]]
    one = sysops_client.get(f"/api/v1/staff/mail/{sent_mail.pk}").json()
    assert one["message_id"] == sent_mail.message_id
    assert "Signed <script>" in one["body_text"]


def test_the_api_answers_404_for_an_unknown_mail(sysops_client, db):
    assert sysops_client.get("/api/v1/staff/mail/999999").status_code == 404


def test_the_outbox_page_shows_delivery_state_attempts_and_last_error(sysops_client, dead_message):
    response = sysops_client.get("/staff/mail/outbox/?status=dead")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Lost invoice" in body
    assert "ConnectionRefusedError" in body
    assert response.context["counts"]["dead"] == 1


def test_the_outbox_api_filters_by_state(sysops_client, dead_message):
    items = sysops_client.get("/api/v1/staff/mail/outbox/?status=dead").json()["items"]
    assert [(m["id"], m["delivery_state"], m["attempts"]) for m in items] == [
        (dead_message.pk, "dead", 1)
    ]
    # Sent: only the relay's report of the death (which the alerts app turned into an alert).
    sent = sysops_client.get("/api/v1/staff/mail/outbox/?status=sent").json()["items"]
    assert [m["topic"] for m in sent] == ["outbox.dead"]


def test_an_admin_requeues_a_dead_message_and_it_is_audited(admin_client_2fa, dead_message):
    response = admin_client_2fa.post(f"/staff/mail/outbox/{dead_message.pk}/requeue")
    assert response.status_code == 302
    dead_message.refresh_from_db()
    assert dead_message.status == OutboxStatus.PENDING
    assert dead_message.attempts == 0
    assert AuditEntry.objects.filter(
        action="outbox.requeued", object_id=str(dead_message.pk)
    ).exists()


def test_sysops_cannot_requeue(sysops_client, dead_message):
    response = sysops_client.post(f"/staff/mail/outbox/{dead_message.pk}/requeue")
    assert response.status_code == 403
    dead_message.refresh_from_db()
    assert dead_message.status == OutboxStatus.DEAD


def test_requeueing_a_message_that_is_not_dead_is_a_conflict(admin_client_2fa, customer):
    message = send(customer, "pending:1", channels=["email"]).deliveries.get()
    response = admin_client_2fa.post(f"/api/v1/staff/mail/outbox/{message.pk}/requeue")
    assert response.status_code == 409
    assert OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.PENDING


def test_an_admin_requeues_through_the_api(admin_client_2fa, dead_message):
    response = admin_client_2fa.post(f"/api/v1/staff/mail/outbox/{dead_message.pk}/requeue")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_the_sent_mail_page_also_lists_undelivered_outbox_messages(sysops_client, dead_message):
    response = sysops_client.get("/staff/mail/")
    assert [m.pk for m in response.context["undelivered"]] == [dead_message.pk]
    assert b"Lost invoice" in response.content
