"""The staff console's webhook pages: admins only; the secret shown once; the delivery log."""

import pytest
from django.test import Client

from onboarding.audit.models import AuditEntry
from onboarding.core.roles import Role
from onboarding.webhooks.delivery import webhooks_deliver_due
from onboarding.webhooks.models import DeliveryKind, WebhookDelivery, WebhookEndpoint
from tests.factories import staff_user
from tests.webhooks.helpers import record, register, seal_and_dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_registering_shows_the_secret_once(page, receiver):
    answer = page.post("/staff/webhooks/", {"url": receiver.url, "event_types": ["invoice.paid"]})
    assert answer.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in answer.content.decode()
    assert answer["Cache-Control"] == "no-store"
    assert endpoint.event_types == ["invoice.paid"]

    listing = page.get("/staff/webhooks/").content.decode()
    detail = page.get(f"/staff/webhooks/{endpoint.pk}/").content.decode()
    assert receiver.url.split("?")[0] in listing
    assert endpoint.secret not in listing and endpoint.secret not in detail


def test_an_unsafe_url_is_a_field_error_not_a_500(page):
    answer = page.post("/staff/webhooks/", {"url": "https://169.254.169.254/latest/"})
    assert answer.status_code == 400
    assert "link-local" in answer.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [Role.SYSOPS, Role.MANAGER])
def test_other_staff_roles_get_403(role, admin, receiver):
    endpoint = register(admin, receiver)
    client = Client()
    client.force_login(staff_user(role))
    assert client.get("/staff/webhooks/").status_code == 403
    assert client.post(f"/staff/webhooks/{endpoint.pk}/rotate").status_code == 403
    assert AuditEntry.objects.filter(action="webhooks.refused").count() == 2


def test_the_delivery_log_pause_rotate_resend_and_replay(page, admin, receiver):
    endpoint = register(admin, receiver)
    record("invoice.paid")
    seal_and_dispatch()
    receiver.answers = [503]
    webhooks_deliver_due()
    delivery = WebhookDelivery.objects.get()

    detail = page.get(f"/staff/webhooks/{endpoint.pk}/").content.decode()
    assert delivery.webhook_id in detail and "503" in detail and "answer 503" in detail
    fragment = page.get(
        f"/staff/webhooks/{endpoint.pk}/?status=pending", headers={"HX-Request": "true"}
    )
    assert fragment.content.decode().startswith('<div id="delivery-log">')

    page.post(f"/staff/webhooks/{endpoint.pk}/pause", {"paused": "1"})
    endpoint.refresh_from_db()
    assert endpoint.state == "paused"

    rotated = page.post(f"/staff/webhooks/{endpoint.pk}/rotate")
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated.content.decode() and endpoint.previous_secret

    resent = page.post(f"/staff/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend")
    assert resent.status_code == 302
    assert WebhookDelivery.objects.filter(kind=DeliveryKind.RESEND).count() == 1

    backwards = page.post(
        f"/staff/webhooks/{endpoint.pk}/replay",
        {"starts_at": "2026-02-01T00:00", "ends_at": "2026-01-01T00:00"},
    )
    assert backwards.status_code == 400
    assert "The period must end after it starts." in backwards.content.decode()
    queued = page.post(
        f"/staff/webhooks/{endpoint.pk}/replay",
        {"starts_at": "2020-01-01T00:00", "ends_at": "2030-01-01T00:00"},
    )
    assert queued.status_code == 302
    assert endpoint.replays.count() == 1
