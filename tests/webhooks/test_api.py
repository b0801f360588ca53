"""The staff API for webhooks: admins register, read, pause, rotate, resend and replay; other
staff roles are refused (403) and the refusal is recorded."""

import pytest
from django.test import Client
from django.utils import timezone

from onboarding.audit.models import AuditEntry, Outcome
from onboarding.core.roles import Role
from onboarding.webhooks.delivery import webhooks_deliver_due
from onboarding.webhooks.models import WebhookEndpoint
from tests.factories import staff_user
from tests.webhooks.helpers import record, seal_and_dispatch

pytestmark = pytest.mark.django_db
BASE = "/api/v1/staff/webhooks"


@pytest.fixture
def api(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def _post(client: Client, path: str, body: dict | None = None):
    return client.post(f"{BASE}{path}", body or {}, content_type="application/json")


def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(api, receiver):
    answer = _post(api, "/", {"url": receiver.url, "event_types": ["invoice.paid"]})
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert created["secret"].startswith("whsec_")
    assert created["state"] == "active" and created["event_types"] == ["invoice.paid"]

    again = api.get(f"{BASE}/{created['id']}").json()
    assert "secret" not in again and created["secret"] not in str(again)
    assert [e["id"] for e in api.get(f"{BASE}/").json()] == [created["id"]]
    entry = AuditEntry.objects.get(action="webhook_endpoint.created")
    assert created["secret"] not in str(entry.changes)


def test_the_event_types_are_published_with_their_versions(api):
    types = {t["type"]: t["version"] for t in api.get(f"{BASE}/event-types").json()}
    assert types["invoice.paid"] == 1 and "contract.acknowledged" in types


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://10.0.0.1/hook"}, "url"),
        ({"url": "https://169.254.169.254/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://example.com/", "event_types": ["invoice.nope"]}, "event_types"),
    ],
)
def test_bad_input_is_a_field_error(api, body, field):
    answer = _post(api, "/", body)
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [Role.SYSOPS, Role.MANAGER])
def test_other_staff_roles_are_refused_and_recorded(role, receiver):
    client = Client()
    client.force_login(staff_user(role))
    assert client.get(f"{BASE}/").status_code == 403
    assert _post(client, "/", {"url": receiver.url}).status_code == 403
    assert not WebhookEndpoint.objects.exists()
    assert (
        AuditEntry.objects.filter(action="webhooks.refused", outcome=Outcome.REFUSED).count() == 2
    )


def test_pause_rotate_delivery_log_resend_and_replay(api, receiver):
    endpoint_id = _post(api, "/", {"url": receiver.url}).json()["id"]
    paused = api.patch(f"{BASE}/{endpoint_id}", {"paused": True}, content_type="application/json")
    assert paused.json()["state"] == "paused"
    resumed = api.patch(f"{BASE}/{endpoint_id}", {"paused": False}, content_type="application/json")
    assert resumed.json()["state"] == "active"

    rotated = _post(api, f"/{endpoint_id}/rotate-secret", {"overlap_seconds": 600})
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["previous_secret_expires_at"] is not None

    record("invoice.paid")
    seal_and_dispatch()
    receiver.answers = [500]
    webhooks_deliver_due()
    (delivery,) = api.get(f"{BASE}/{endpoint_id}/deliveries").json()["items"]
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["log"][0]["status_code"] == 500
    assert delivery["log"][0]["response_excerpt"].startswith("answer 500")
    assert delivery["next_attempt_at"] is not None

    resent = _post(api, f"/{endpoint_id}/deliveries/{delivery['id']}/resend")
    assert resent.status_code == 201 and resent.json()["webhook_id"] == delivery["webhook_id"]

    now = timezone.now()
    replay = _post(
        api,
        f"/{endpoint_id}/replays",
        {"starts_at": (now.replace(year=now.year - 2)).isoformat(), "ends_at": now.isoformat()},
    )
    assert replay.status_code == 201 and replay.json()["state"] == "running"
    backwards = _post(
        api, f"/{endpoint_id}/replays", {"starts_at": now.isoformat(), "ends_at": now.isoformat()}
    )
    assert backwards.status_code == 400 and backwards.json()["field"] == "ends_at"


def test_unknown_ids_are_404(api):
    assert api.get(f"{BASE}/999").status_code == 404
    assert api.get(f"{BASE}/abc").status_code == 404
    assert _post(api, "/999/deliveries/1/resend").status_code == 404


@pytest.mark.parametrize("big", ["9223372036854775808", "-9223372036854775809", "1" + "0" * 30])
def test_ids_past_the_databases_integers_are_404_not_500(api, big):
    assert _post(api, f"/{big}/deliveries/1/resend").status_code == 404
    assert _post(api, f"/1/deliveries/{big}/resend").status_code == 404
    assert _post(api, f"/{big}/rotate-secret").status_code == 404
    assert api.get(f"{BASE}/{big}").status_code == 404
    assert api.get(f"{BASE}/{big}/deliveries").status_code == 404
    patch = api.patch(f"{BASE}/{big}", {"paused": True}, content_type="application/json")
    assert patch.status_code == 404
    replay = _post(
        api, f"/{big}/replays", {"starts_at": "2020-01-01T00:00Z", "ends_at": "2021-01-01T00:00Z"}
    )
    assert replay.status_code == 404
