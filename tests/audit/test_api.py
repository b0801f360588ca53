import pytest

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record, audit_seal_pending
from tests.audit.conftest import record_many

URL = "/api/v1/staff/audit/"


def test_list_returns_entries_newest_first_with_a_count(sysops_client):
    audit_record(action="first.event")
    audit_record(action="second.event")
    body = sysops_client.get(URL).json()
    assert body["count"] == 2
    assert [item["action"] for item in body["items"]] == ["second.event", "first.event"]


def test_list_items_carry_the_documented_fields_and_nothing_secret(sysops_client):
    audit_record(action="x.event", changes={"password": "hunter2-hunter2", "plan": ["a", "b"]})
    item = sysops_client.get(URL).json()["items"][0]
    assert set(item) == {
        "id",
        "occurred_at",
        "actor_id",
        "actor_email",
        "actor_role",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "customer_id",
        "changes",
        "message",
        "request_id",
        "client_ip",
        "seq",
        "prev_hash",
        "hash",
    }
    assert item["changes"] == {"password": "[redacted]", "plan": ["a", "b"]}


def test_limit_and_offset_page_through(sysops_client):
    entries = record_many(7)
    body = sysops_client.get(URL, {"limit": 3, "offset": 3}).json()
    newest_first = [entry.pk for entry in reversed(entries)]
    assert [item["id"] for item in body["items"]] == newest_first[3:6]
    assert (body["count"], body["limit"], body["offset"]) == (7, 3, 3)


def test_list_applies_the_same_filters_as_the_page(sysops_client, customer):
    audit_record(action="auth.login", actor=customer, customer_id=3, outcome=Outcome.FAILURE)
    audit_record(action="auth.login", customer_id=3)
    audit_record(action="billing.paid", actor=customer, customer_id=3, outcome=Outcome.FAILURE)
    body = sysops_client.get(
        URL,
        {
            "customer_id": 3,
            "action": "auth.",
            "actor_email": customer.email,
            "outcome": "failure",
            "date_from": "2000-01-01",
        },
    ).json()
    assert body["count"] == 1
    assert body["items"][0]["action"] == "auth.login"


def test_filter_by_object(sysops_client):
    audit_record(action="a", object_type="billing.invoice", object_id=9)
    audit_record(action="b", object_type="billing.invoice", object_id=10)
    body = sysops_client.get(URL, {"object_type": "billing.invoice", "object_id": "9"}).json()
    assert [item["action"] for item in body["items"]] == ["a"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1000},
        {"offset": -1},
        {"customer_id": "abc"},
        {"customer_id": 0},
        {"customer_id": "99999999999999999999999"},
        {"outcome": "maybe"},
        {"date_from": "yesterday"},
        {"date_from": "2026-03-05", "date_to": "2026-03-01"},
        {"action": "a" * 81},
        {"action": "auth.\x00"},
    ],
)
def test_bad_query_parameters_are_422(sysops_client, params):
    assert sysops_client.get(URL, params).status_code == 422


def test_one_entry_by_id(sysops_client):
    entry = audit_record(action="x.event", object_type="billing.invoice", object_id=4)
    audit_seal_pending()
    body = sysops_client.get(f"{URL}{entry.pk}").json()
    assert (body["id"], body["action"], body["object_id"], body["seq"]) == (
        entry.pk,
        "x.event",
        "4",
        1,
    )
    assert len(body["hash"]) == 64


@pytest.mark.parametrize("entry_id", ["999999", str(10**20)])
def test_a_missing_entry_is_404(sysops_client, entry_id):
    response = sysops_client.get(f"{URL}{entry_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_customer_cannot_read_the_api(customer_client):
    audit_record(action="x.event")
    assert customer_client.get(URL).status_code == 404


def test_an_anonymous_caller_is_401(client, db):
    assert client.get(URL).status_code == 401
