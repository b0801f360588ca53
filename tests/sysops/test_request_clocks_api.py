"""A request's SLA clocks in the API: staff read every mark, a customer the deadline and the
outcome; the lists read all their requests' clocks in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onboarding.sla.watch import sla_clocks_check
from onboarding.sysops.services import service_request_move
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db

UTC_DUE = "2026-03-16T10:00:00Z"  # Mon 16 Mar 11:00 CET: 1 h Friday, 3 h Monday
UTC_WARN = "2026-03-16T09:12:00Z"  # 80% of 4 h: Mon 10:12 CET


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def subscription(customer, test_clock):
    return subscribe_on_clock(customer, plan_with_sla_terms(), test_clock)


@pytest.fixture
def breached(subscription, test_clock):
    """Opened Fri 13 Mar 2026 17:00 CET; its first response breached on Monday at 11:00."""
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    with at(test_clock, berlin(2026, 3, 16, 11)):
        sla_clocks_check()
    return request


def _first(body: dict) -> dict:
    return next(c for c in body["clocks"] if c["kind"] == "first_response")


def test_staff_read_each_clock_with_its_warning_and_breach(sysops_client, breached):
    body = sysops_client.get(f"/api/v1/staff/requests/{breached.pk}").json()
    assert [c["kind"] for c in body["clocks"]] == ["first_response", "resolution"]
    assert _first(body) == {
        "kind": "first_response",
        "severity": "normal",
        "due_at": UTC_DUE,
        "warn_at": UTC_WARN,
        "paused": False,
        "stopped_at": None,
        "outcome": "pending",
        "breached_at": UTC_DUE,
        "service_hours": "Business hours",
        "time_zone": "Europe/Berlin",
    }
    queue = sysops_client.get("/api/v1/staff/requests").json()
    assert _first(queue["items"][0]) == _first(body)
    overview = sysops_client.get(f"/api/v1/staff/customers/{body['customer_id']}/overview")
    assert _first(overview.json()["requests"][0]) == _first(body)


def test_a_customer_reads_the_deadline_and_outcome_but_not_staffs_marks(customer_client, breached):
    one = customer_client.get(f"/api/v1/me/requests/{breached.pk}").json()
    listed = customer_client.get("/api/v1/me/requests").json()
    for clock in (_first(one), _first(listed[0])):
        assert clock["due_at"] == UTC_DUE
        assert clock["outcome"] == "pending"
        assert clock["warn_at"] is None
        assert clock["breached_at"] is None
        assert clock["time_zone"] == "Europe/Berlin"


def test_a_paused_clock_says_so_and_a_stopped_one_its_outcome(
    customer_client, sysops, subscription, test_clock
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_move(request=request, status="waiting_on_customer", actor=sysops)
    clocks = {
        c["kind"]: c
        for c in customer_client.get(f"/api/v1/me/requests/{request.pk}").json()["clocks"]
    }
    assert clocks["first_response"]["outcome"] == "met"
    assert clocks["first_response"]["stopped_at"] == "2026-03-16T08:00:00Z"
    assert clocks["resolution"]["paused"] is True
    assert clocks["resolution"]["outcome"] == "pending"


def test_a_severity_without_terms_has_clocks_without_a_deadline(customer_client, subscription):
    request = open_request(subscription, severity="low")
    clocks = customer_client.get(f"/api/v1/me/requests/{request.pk}").json()["clocks"]
    assert [(c["outcome"], c["due_at"], c["service_hours"]) for c in clocks] == [
        ("no_terms", None, None)
    ] * 2


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/v1/staff/requests", "/api/v1/me/requests"])
def test_a_list_reads_its_requests_clocks_in_one_query_however_many(
    customer_client, sysops_client, subscription, url
):
    client = sysops_client if "staff" in url else customer_client
    open_request(subscription)
    client.get(url)  # the session's first staff request writes its marks; count the next
    one = _queries(client, url)
    for n in range(4):
        open_request(subscription, summary=f"Another problem {n}")
    assert _queries(client, url) == one
    assert all(len(row["clocks"]) == 2 for row in _rows(client.get(url).json()))


def _rows(body):
    return body["items"] if isinstance(body, dict) else body


def test_the_openapi_schema_describes_the_clocks(client):
    schema = client.get("/api/v1/openapi.json").json()
    clock = schema["components"]["schemas"]["SlaClockOut"]
    assert {"due_at", "warn_at", "breached_at", "paused", "time_zone"} <= set(clock["properties"])
