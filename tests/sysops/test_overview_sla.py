"""The customer view shows each request's SLA clocks in a few words: the nearest running
deadline in its clock's own zone, paused, breached (red), or met/missed once closed; all the
shown requests' clocks read in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.sla.watch import sla_clocks_check
from onboarding.sysops.services import service_request_move
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def subscription(customer, test_clock):
    return subscribe_on_clock(customer, plan_with_sla_terms(), test_clock)


@pytest.fixture
def requests(subscription, test_clock, sysops):
    """Opened Fri 13 Mar 2026 17:00 CET: one breached on Monday at 11:00 (its first response
    was due then), one waiting on the customer since Monday 09:00, one closed then (answered in
    time); and one opened Monday 10:00, its first response due at 14:00."""
    with at(test_clock, berlin(2026, 3, 13, 17)):
        breached = open_request(subscription, summary="Breached one")
        paused = open_request(subscription, summary="Paused one")
        closed = open_request(subscription, summary="Closed one")
    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_move(request=paused, status="waiting_on_customer", actor=sysops)
        service_request_move(request=closed, status="closed", actor=sysops)
    with at(test_clock, berlin(2026, 3, 16, 10)):
        running = open_request(subscription, summary="Running one")
    with at(test_clock, berlin(2026, 3, 16, 11)):
        sla_clocks_check()
    return {"breached": breached, "paused": paused, "closed": closed, "running": running}


def _row(html: str, request) -> str:
    """The history table's row of `request`."""
    table = html[html.index('id="requests"') :]
    start = table.index(f"{request.reference}</a> {request.summary}")
    return table[start : table.index("</tr>", start)]


def _card(html: str) -> str:
    start = html.index('id="open-requests"')
    return html[start : html.index("</section>", start)]


def test_the_customer_view_shows_each_requests_sla_state(sysops_client, requests):
    response = sysops_client.get(reverse("sysops:customer", args=[requests["running"].customer_id]))
    assert response.status_code == 200
    html = response.content.decode()

    due = _row(html, requests["running"])
    assert 'data-sla="due"' in due
    assert "First response due by" in due
    assert "16 March 2026, 14:00</time> (Europe/Berlin)" in due
    assert 'datetime="2026-03-16T13:00:00+00:00"' in due
    assert 'data-sla="paused"' in _row(html, requests["paused"])
    breached = _row(html, requests["breached"])
    assert '<span class="badge red" data-sla="breached">First response SLA breached</span>' in (
        breached
    )
    assert 'data-sla="met"' in _row(html, requests["closed"])

    # The open requests card says the same of the open ones, and nothing of the closed one.
    card = _card(html)
    assert card.count('data-sla="due"') == 1
    assert card.count('data-sla="paused"') == 1
    assert card.count('data-sla="breached"') == 1
    assert "Closed one" not in card
    assert "16 March 2026, 14:00</time> (Europe/Berlin)" in card


def test_a_breached_open_request_is_a_red_risk_at_the_top_of_the_view(sysops_client, requests):
    """Only the breached one is flagged: the running, paused and closed ones are not."""
    response = sysops_client.get(reverse("sysops:customer", args=[requests["running"].customer_id]))
    flags = [r for r in response.context["o"].risks if r.code == "request_sla_breached"]
    assert [(r.level, r.message) for r in flags] == [
        ("red", f"First response deadline missed: {requests['breached'].reference} Breached one")
    ]


def _page_queries(client, customer_id) -> list[str]:
    url = reverse("sysops:customer", args=[customer_id])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries]


def test_the_clocks_of_every_shown_request_are_read_in_one_query(
    sysops_client, subscription, test_clock
):
    with at(test_clock, berlin(2026, 3, 16, 10)):
        open_request(subscription)
    # Warm the session and the navigation's counts on another page: the overview itself must be
    # read cold both times (a write makes the next view read it afresh: sysops/overview_cache).
    sysops_client.get(reverse("sysops:customer_search"))
    one = _page_queries(sysops_client, subscription.customer_id)
    with at(test_clock, berlin(2026, 3, 16, 10)):
        for n in range(5):
            open_request(subscription, summary=f"Another problem {n}")
    six = _page_queries(sysops_client, subscription.customer_id)
    assert len(six) == len(one)
    clock_reads = [sql for sql in six if 'FROM "sla_slaclock"' in sql]
    assert len(clock_reads) == 1
