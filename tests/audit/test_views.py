from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from onboarding.audit.models import AuditEntry, Outcome
from onboarding.audit.services import audit_record
from tests.audit.conftest import record_many
from tests.factories import UserFactory

LIST = reverse("audit:list")


def _actions(response) -> list[str]:
    return [entry.action for entry in response.context["page"].entries]


def test_staff_see_entries_newest_first(sysops_client):
    audit_record(action="first.event")
    audit_record(action="second.event")
    response = sysops_client.get(LIST)
    assert response.status_code == 200
    assert _actions(response)[:2] == ["second.event", "first.event"]


@pytest.mark.parametrize("client_fixture", ["manager_client", "admin_client_2fa"])
def test_every_staff_role_may_read_the_log(db, request, client_fixture):
    audit_record(action="some.event")
    response = request.getfixturevalue(client_fixture).get(LIST)
    assert "some.event" in _actions(response)


def test_a_customer_is_refused(customer_client):
    assert customer_client.get(LIST).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_filter_by_customer(sysops_client):
    audit_record(action="a.event", customer_id=7)
    audit_record(action="b.event", customer_id=8)
    assert _actions(sysops_client.get(LIST, {"customer_id": 7})) == ["a.event"]


def test_filter_by_object(sysops_client):
    audit_record(action="a.event", object_type="billing.invoice", object_id=5)
    audit_record(action="b.event", object_type="billing.invoice", object_id=6)
    audit_record(action="c.event", object_type="contracts.contract", object_id=5)
    response = sysops_client.get(LIST, {"object_type": "billing.invoice", "object_id": "5"})
    assert _actions(response) == ["a.event"]


def test_filter_by_action_prefix(sysops_client):
    audit_record(action="auth.login")
    audit_record(action="auth.logout")
    audit_record(action="billing.invoice_paid")
    assert sorted(_actions(sysops_client.get(LIST, {"action": "auth."}))) == [
        "auth.login",
        "auth.logout",
    ]


def test_filter_by_actor_email_ignores_case(sysops_client):
    customer = UserFactory(customer_record=False)  # no "customer.created" entry of its own
    audit_record(action="mine.event", actor=customer)
    audit_record(action="other.event")
    response = sysops_client.get(LIST, {"actor_email": customer.email.upper()})
    assert _actions(response) == ["mine.event"]


def test_filter_by_outcome(sysops_client):
    audit_record(action="ok.event")
    audit_record(action="bad.event", outcome=Outcome.FAILURE)
    assert _actions(sysops_client.get(LIST, {"outcome": "failure"})) == ["bad.event"]


def test_filter_by_date_range_includes_both_ends(sysops_client):
    for day, action in [(1, "before"), (2, "start"), (3, "end"), (4, "after")]:
        # Rows are append-only (an UPDATE is refused on PostgreSQL): insert them dated.
        AuditEntry.objects.create(
            action=action, occurred_at=datetime(2026, 3, day, 23, 59, tzinfo=UTC)
        )
    response = sysops_client.get(LIST, {"date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert _actions(response) == ["end", "start"]


def test_pages_hold_fifty_and_link_to_older_and_newer(sysops_client):
    entries = record_many(120)
    first = sysops_client.get(LIST, {"action": "test."})
    assert len(first.context["page"].entries) == 50
    older = first.context["older_query"]
    assert "action=test." in older
    second = sysops_client.get(f"{LIST}?{older}")
    ids = [entry.pk for entry in second.context["page"].entries]
    assert ids == [entry.pk for entry in reversed(entries)][50:100]
    back = sysops_client.get(f"{LIST}?{second.context['newer_query']}")
    assert [entry.pk for entry in back.context["page"].entries] == [
        entry.pk for entry in reversed(entries)
    ][:50]


def test_the_last_page_has_no_older_link(sysops_client):
    record_many(3)
    response = sysops_client.get(LIST)
    assert response.context["older_query"] == ""


def test_the_diff_is_shown_readably(sysops_client):
    audit_record(action="plan.changed", changes={"plan": ["basic", "premium"]})
    response = sysops_client.get(LIST)
    assert "basic → premium" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"customer_id": "abc"},
        {"customer_id": "-1"},
        {"customer_id": "99999999999999999999999"},
        {"date_from": "2026-13-45"},
        {"date_from": "2026-03-05", "date_to": "2026-03-01"},
        {"outcome": "maybe"},
        {"action": "auth.\x00"},
        {"before": "x"},
    ],
)
def test_bad_filters_show_an_error_and_no_entries(sysops_client, params):
    audit_record(action="auth.login")
    response = sysops_client.get(LIST, params)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["page"].entries == []


def test_htmx_requests_get_only_the_results(sysops_client):
    audit_record(action="some.event")
    response = sysops_client.get(LIST, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="audit-results"' in body
    assert "<html" not in body


def test_detail_page_shows_the_entry_and_its_seal(sysops_client):
    entry = audit_record(
        action="plan.changed", changes={"plan": ["basic", "premium"]}, message="upgrade"
    )
    response = sysops_client.get(reverse("audit:detail", args=[entry.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "plan.changed" in body
    assert "premium" in body
    assert "Not sealed yet" in body


def test_detail_of_a_missing_entry_is_404(sysops_client):
    assert sysops_client.get(reverse("audit:detail", args=[10**20])).status_code == 404


def test_detail_is_refused_to_a_customer(customer_client):
    entry = audit_record(action="x.event")
    assert customer_client.get(reverse("audit:detail", args=[entry.pk])).status_code == 404


def test_dates_are_shown_in_utc(sysops_client):
    AuditEntry.objects.create(
        action="x.event", occurred_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=5)
    )
    assert "1 March 2026, 12:00:05" in sysops_client.get(LIST).content.decode()
