"""Review leftovers: a deadline on the answer's headers, a lease no send can outlive, tokens in
endpoint URLs kept out of the audit log and alerts, the log's pagination keeping its filter, and
the endpoint API's id typed as an integer."""

import math
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.webhooks.delivery import DISABLED_ALERT, lease_seconds, webhooks_deliver_due
from onboarding.webhooks.guard import url_check, url_redact
from onboarding.webhooks.models import DeliveryStatus, WebhookDelivery
from onboarding.webhooks.sender import post
from onboarding.webhooks.services import endpoint_delete, endpoint_update
from tests.webhooks.helpers import at, record, register, seal_and_dispatch, trickling_server

TOKEN = "s3cr3t-t0ken"


@pytest.fixture
def header_trickler():
    """The status line and headers one byte every 0.2 s."""
    with trickling_server(
        first=b"", then=b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 2000 + b"\r\n\r\n"
    ) as url:
        yield url


def test_trickled_headers_stop_at_the_deadline(header_trickler, settings):
    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 1
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = 1
    started = time.monotonic()

    result = post(target=url_check(header_trickler), body=b"{}", headers={})

    assert time.monotonic() - started < 4
    assert result.status_code is None and "timed out" in result.error
    assert not result.succeeded


@pytest.mark.parametrize("read_timeout", [10, 60, 300])
def test_the_lease_outlasts_a_whole_round_of_sends_at_their_deadlines(settings, read_timeout):
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = read_timeout
    per_send = settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS + read_timeout
    # A round's last send may wait for the sends before it in the pool.
    waves = math.ceil(settings.WEBHOOKS_SEND_BATCH / settings.WEBHOOKS_SEND_THREADS)

    assert lease_seconds() > waves * per_send


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.com/in?token=abc", "https://hooks.example.com/in?[redacted]"),
        ("https://user:pw@hooks.example.com/in", "https://[redacted]@hooks.example.com/in"),
        ("https://hooks.example.com:8443/in#frag", "https://hooks.example.com:8443/in#[redacted]"),
        ("https://hooks.example.com/in", "https://hooks.example.com/in"),
    ],
)
def test_a_url_is_shown_without_its_query_userinfo_or_fragment(url, shown):
    assert url_redact(url) == shown


@pytest.mark.django_db
def test_a_token_in_the_url_stays_out_of_the_audit_log(admin, receiver):
    endpoint = register(admin, receiver)  # the receiver's URL has a query string
    endpoint_update(
        actor=admin, endpoint_id=endpoint.pk, url=f"{receiver.url.split('?')[0]}?token={TOKEN}"
    )
    endpoint_delete(actor=admin, endpoint_id=endpoint.pk)

    entries = AuditEntry.objects.filter(action__startswith="webhook_endpoint.")
    assert {e.action for e in entries} >= {
        "webhook_endpoint.created",
        "webhook_endpoint.updated",
        "webhook_endpoint.deleted",
    }
    for entry in entries:
        assert TOKEN not in str(entry.changes) and "source=onboarding" not in str(entry.changes)
    created = entries.get(action="webhook_endpoint.created")
    assert created.changes["url"] == f"http://127.0.0.1:{receiver.port}/hooks?[redacted]"


@pytest.mark.django_db
def test_a_token_in_the_url_stays_out_of_the_disabled_alert(admin, receiver, settings):
    settings.WEBHOOKS_RETRY_FOR_SECONDS = 60
    endpoint = register(admin, receiver)
    endpoint_update(
        actor=admin, endpoint_id=endpoint.pk, url=f"{receiver.url.split('?')[0]}?token={TOKEN}"
    )
    record("invoice.paid")
    seal_and_dispatch()
    receiver.answers = [503] * 10
    now = timezone.now()
    webhooks_deliver_due(now=now)
    webhooks_deliver_due(now=at(now, 3600))

    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED
    alert = AdminAlert.objects.get(reason=DISABLED_ALERT)
    assert TOKEN not in alert.message and "?[redacted]" in alert.message
    disabled = AuditEntry.objects.get(action="webhook_endpoint.disabled")
    assert TOKEN not in str(disabled.changes) and TOKEN not in disabled.message


@pytest.mark.django_db
def test_the_log_pagination_keeps_an_odd_status_filter_encoded(admin, receiver):
    endpoint = register(admin, receiver)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            audit_entry_id=n,
            webhook_id=f"evt_{n}",
            event_type="invoice.paid",
            body="{}",
            next_attempt_at=timezone.now() + timedelta(days=1),
        )
        for n in range(1, 28)
    )
    client = Client()
    client.force_login(admin)

    answer = client.get(f"/staff/webhooks/{endpoint.pk}/", {"status": "x&page=9"})

    assert answer.status_code == 200
    assert "status=x%26page%3D9" in answer.content.decode()


@pytest.mark.django_db
def test_the_api_types_an_endpoints_id_as_an_integer(admin):
    client = Client()
    client.force_login(admin)
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/staff/webhooks/{endpoint_id}"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "endpoint_id"]
    assert parameter["schema"]["type"] == "integer"
