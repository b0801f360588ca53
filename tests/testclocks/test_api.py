"""The staff API for test clocks: admins create, bind customers, advance and read what happened;
other staff roles are refused (403, recorded); bad input is a field-level 422."""

import pytest
from django.test import Client

from onboarding.accounts.models import Customer
from onboarding.audit.models import AuditEntry, Outcome
from onboarding.core.roles import Role
from onboarding.testclocks.advancing import clock_run
from tests.factories import staff_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/staff/test-clocks"


@pytest.fixture
def api(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def _post(client: Client, path: str, body: dict | None = None):
    return client.post(f"{BASE}{path}", body or {}, content_type="application/json")


def _clock(api) -> dict:
    answer = _post(api, "/", {"name": "API clock", "frozen_time": "2027-03-01T08:00:00Z"})
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_an_admin_creates_a_clock_and_a_test_customer_bound_to_it(api, plan):
    created = _clock(api)
    assert (created["status"], created["frozen_time"]) == ("ready", "2027-03-01T08:00:00Z")
    assert [c["id"] for c in api.get(f"{BASE}/").json()] == [created["id"]]

    answer = _post(
        api,
        f"/{created['id']}/customers",
        {"email": "api-test@example.test", "plan_slug": plan.slug, "cycle": "monthly"},
    )

    assert answer.status_code == 201, answer.content
    customer = Customer.objects.get(pk=answer.json()["id"])
    assert customer.test_clock_id == created["id"]
    assert customer.subscriptions.get().purchased_at.isoformat() == "2027-03-01T08:00:00+00:00"
    assert api.get(f"{BASE}/{created['id']}").json()["customer_count"] == 1


@pytest.mark.parametrize(
    "frozen_time", ["3575-01-11T21:47:17+16:12", "1999-12-31T23:59:59Z", "2999-01-01T00:00:00Z"]
)
def test_a_start_out_of_range_is_a_field_level_422_and_makes_no_clock(api, frozen_time):
    answer = _post(api, "/", {"name": "Far away", "frozen_time": frozen_time})

    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == "frozen_time"
    assert api.get(f"{BASE}/").json() == []


def test_an_offset_start_is_kept_as_its_utc_moment(api):
    answer = _post(api, "/", {"name": "Far east", "frozen_time": "2027-03-01T21:47:00+14:00"})

    assert answer.status_code == 201, answer.content
    assert answer.json()["frozen_time"] == "2027-03-01T07:47:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 1, "unit": "weeks"}, "unit"),
        ({"amount": 0, "unit": "days"}, "amount"),
        ({"amount": 25, "unit": "months"}, "amount"),
        ({"to": "2027-02-01T08:00:00Z"}, "to"),
        ({"to": "2027-03-01T08:00:00Z"}, "to"),
    ],
)
def test_a_bad_advance_is_a_field_level_422_and_the_clock_stays(api, body, field):
    created = _clock(api)

    answer = _post(api, f"/{created['id']}/advance", body)

    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == field
    after = api.get(f"{BASE}/{created['id']}").json()
    assert (after["status"], after["frozen_time"]) == ("ready", "2027-03-01T08:00:00Z")


@pytest.mark.django_db(transaction=True)
def test_an_advance_runs_in_the_background_and_its_events_carry_both_times(api, plan):
    # Transactions commit (no test transaction around them): the purchase's first invoice is
    # worked off at once, at the clock's moment, as in production.
    created = _clock(api)
    _post(api, f"/{created['id']}/customers", {"email": "a@x.example", "plan_slug": plan.slug})

    answer = _post(api, f"/{created['id']}/advance", {"amount": 36, "unit": "hours"})
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "advancing"
    assert answer.json()["target_time"] == "2027-03-02T20:00:00Z"
    assert _post(api, f"/{created['id']}/advance", {"amount": 1, "unit": "days"}).status_code == 409

    clock_run(clock_id=created["id"])  # the background task's body

    after = api.get(f"{BASE}/{created['id']}").json()
    assert (after["status"], after["frozen_time"]) == ("ready", "2027-03-02T20:00:00Z")
    events = api.get(f"{BASE}/{created['id']}/events").json()
    actions = [e["action"] for e in events]
    assert actions[0] == "test_clock.advanced"
    assert "subscription.purchased" in actions and "invoice.paid" in actions
    paid = next(e for e in events if e["action"] == "invoice.paid")
    assert paid["simulated_at"] == "2027-03-01T08:00:00Z"
    assert paid["real_time"] != paid["simulated_at"]


@pytest.mark.parametrize("role", [Role.SYSOPS, Role.MANAGER])
def test_other_staff_roles_are_refused_and_recorded(role):
    client = Client()
    client.force_login(staff_user(role))

    assert client.get(f"{BASE}/").status_code == 403
    assert _post(client, "/", {"name": "nope"}).status_code == 403
    assert (
        AuditEntry.objects.filter(action="test_clock.refused", outcome=Outcome.REFUSED).count() == 2
    )


def test_days_and_months_are_counted_from_the_clocks_moment(api):
    created = _clock(api)
    answer = _post(api, f"/{created['id']}/advance", {"amount": 1, "unit": "months"})
    assert answer.json()["target_time"] == "2027-04-01T08:00:00Z"
