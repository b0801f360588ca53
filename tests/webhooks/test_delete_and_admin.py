"""Deleting an endpoint (pages and API), the admins-only "Webhooks" entry of the staff
navigation, and the read-only Django admin of webhooks."""

import pytest
from django.db import connection
from django.test import Client

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.core.roles import Role
from onboarding.webhooks.delivery import webhooks_deliver_due
from onboarding.webhooks.models import (
    DeliveryStatus,
    ReplayState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookReplay,
)
from onboarding.webhooks.services import endpoint_delete, replay_request
from tests.factories import staff_user
from tests.webhooks.helpers import record, register, seal_and_dispatch

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def page(admin) -> Client:
    return _client(admin)


def _endpoint_with_history(admin, receiver) -> WebhookEndpoint:
    """One delivery delivered, two pending (the receiver was down for them), a running replay."""
    endpoint = register(admin, receiver, event_types=["invoice.paid"])
    record("invoice.paid", customer_id=1)
    seal_and_dispatch()
    assert webhooks_deliver_due() == 1
    record("invoice.paid", customer_id=2)
    record("invoice.paid", customer_id=3)
    assert seal_and_dispatch() == 2
    replay_request(
        actor=admin,
        endpoint_id=endpoint.pk,
        starts_at=endpoint.created_at,
        ends_at=endpoint.created_at.replace(year=endpoint.created_at.year + 1),
    )
    return endpoint


def test_deleting_on_the_page_cancels_what_waits_and_keeps_the_log(page, admin, receiver):
    endpoint = _endpoint_with_history(admin, receiver)

    answer = page.post(f"/staff/webhooks/{endpoint.pk}/delete", follow=True)

    assert answer.redirect_chain[-1][0] == "/staff/webhooks/"
    assert "2 pending deliveries were cancelled" in answer.content.decode()
    assert f'href="/staff/webhooks/{endpoint.pk}/"' not in answer.content.decode()
    assert page.get(f"/staff/webhooks/{endpoint.pk}/").status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None and endpoint.deleted_by == admin
    assert endpoint.secret == "" and endpoint.state == "deleted"
    statuses = sorted(endpoint.deliveries.values_list("status", flat=True))
    assert statuses == [
        DeliveryStatus.CANCELLED,
        DeliveryStatus.CANCELLED,
        DeliveryStatus.SUCCEEDED,
    ]
    assert WebhookReplay.objects.get().state == ReplayState.DONE
    entry = AuditEntry.objects.get(action="webhook_endpoint.deleted")
    assert entry.actor_id == admin.pk and entry.object_id == str(endpoint.pk)
    assert entry.changes["cancelled_deliveries"] == 2


def test_a_deleted_endpoint_gets_nothing_more(admin, receiver):
    endpoint = _endpoint_with_history(admin, receiver)
    _client(admin).post(f"/staff/webhooks/{endpoint.pk}/delete")

    record("invoice.paid", customer_id=4)
    assert seal_and_dispatch() == 0
    assert webhooks_deliver_due() == 0
    assert len(receiver.received) == 1  # only the one delivered before the delete
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 0


def test_the_api_deletes_once_then_answers_404(admin, receiver):
    endpoint = _endpoint_with_history(admin, receiver)
    api = _client(admin)
    url = f"/api/v1/staff/webhooks/{endpoint.pk}"

    answer = api.delete(url)
    assert answer.status_code == 200
    assert answer.json() == {"id": endpoint.pk, "cancelled_deliveries": 2}
    assert api.delete(url).status_code == 404
    assert api.get(url).status_code == 404
    assert api.get(f"{url}/deliveries").status_code == 404
    assert api.patch(url, {"paused": True}, content_type="application/json").status_code == 404
    assert [e["id"] for e in api.get("/api/v1/staff/webhooks/").json()] == []


@pytest.mark.parametrize("role", [Role.SYSOPS, Role.MANAGER])
def test_other_staff_cannot_delete(role, admin, receiver):
    endpoint = register(admin, receiver)
    other = _client(staff_user(role))
    assert other.post(f"/staff/webhooks/{endpoint.pk}/delete").status_code == 403
    assert other.delete(f"/api/v1/staff/webhooks/{endpoint.pk}").status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is None
    assert AuditEntry.objects.filter(action="webhooks.refused").count() == 2


def _nav(html: str) -> str:
    start = html.index('<nav class="staff-nav"')
    return html[start : html.index("</nav>", start)]


def test_admins_see_webhooks_in_the_staff_nav_marked_on_its_pages(page):
    nav = _nav(page.get("/staff/webhooks/").content.decode())
    assert 'href="/staff/webhooks/" data-nav="webhooks" aria-current="page"' in nav


@pytest.mark.parametrize("role", [Role.SYSOPS, Role.MANAGER])
def test_other_staff_do_not_see_webhooks_in_the_staff_nav(role):
    nav = _nav(_client(staff_user(role)).get("/staff/").content.decode())
    assert 'data-nav="customers"' in nav
    assert "/staff/webhooks/" not in nav and "Webhooks" not in nav


def test_the_django_admin_shows_deliveries_read_only_and_never_a_secret(page, admin, receiver):
    endpoint = _endpoint_with_history(admin, receiver)
    delivery = endpoint.deliveries.order_by("pk").first()

    listing = page.get("/admin/webhooks/webhookdelivery/")
    assert listing.status_code == 200 and delivery.webhook_id in listing.content.decode()
    detail = page.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert 'name="_save"' not in html  # nothing to save: read-only
    assert "Attempt" in html or "attempt" in html
    assert page.get("/admin/webhooks/webhookdelivery/add/").status_code == 403
    assert page.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/delete/").status_code == 403

    shown = page.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert shown.status_code == 200 and endpoint.url in shown.content.decode()
    assert endpoint.secret not in shown.content.decode()
    assert 'name="_save"' not in shown.content.decode()
    assert page.get("/admin/webhooks/webhookreplay/").status_code == 200


def test_a_deleted_endpoints_log_stays_in_the_django_admin(page, admin, receiver):
    endpoint = _endpoint_with_history(admin, receiver)
    page.post(f"/staff/webhooks/{endpoint.pk}/delete")
    cancelled = endpoint.deliveries.filter(status=DeliveryStatus.CANCELLED)
    listing = page.get("/admin/webhooks/webhookdelivery/?status__exact=cancelled")
    assert listing.status_code == 200
    assert cancelled.count() == 2
    for delivery in cancelled:
        assert delivery.webhook_id in listing.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("status", "retry_for", "ends"),
    [(500, 3600, "cancelled"), (500, 0, "cancelled"), (200, 3600, "succeeded")],
)
def test_a_delete_while_a_request_is_out_keeps_a_failure_cancelled(
    admin, receiver, settings, status, retry_for, ends
):
    """The receiver's thread deletes the endpoint while the sender waits for its answer: a
    failure is recorded but neither retried nor disabling the (deleted) endpoint; a success is
    recorded as delivered, because it was."""
    settings.WEBHOOKS_RETRY_FOR_SECONDS = retry_for  # 0: this failure would end the retries
    endpoint = register(admin, receiver)

    def delete_then_answer() -> int:
        try:
            assert endpoint_delete(actor=admin, endpoint_id=endpoint.pk) == 1
        finally:
            connection.close()  # this thread's own connection
        return status

    receiver.answers.append(delete_then_answer)
    record("invoice.paid")
    assert seal_and_dispatch() == 1

    assert webhooks_deliver_due() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == ends
    attempt = delivery.log.get()
    assert delivery.attempts == 1 and attempt.status_code == status
    assert attempt.next_attempt_at is None  # no retry planned
    assert webhooks_deliver_due() == 0
    endpoint.refresh_from_db()
    assert endpoint.deleted_at is not None and endpoint.disabled_at is None
    assert not AdminAlert.objects.exists()
