"""A page read writes no session row unless something in the session changed (issue 15): the
staff idle clock moves in steps of a thirtieth of the idle limit, customers' sessions never move."""

import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.accounts.middleware import LAST_SEEN_KEY, idle_clock_resolution
from tests.accounts.test_sessions import STAFF_PAGE, set_session_values


def _session_writes(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    return status, writes


def test_the_idle_clock_resolution_is_a_thirtieth_of_the_limit_up_to_a_minute(settings):
    settings.STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    assert idle_clock_resolution() == 60
    settings.STAFF_IDLE_TIMEOUT = timedelta(seconds=60)
    assert idle_clock_resolution() == 2


def test_a_staff_page_read_right_after_another_writes_no_session(settings, sysops_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    sysops_client.get(STAFF_PAGE)
    seen = sysops_client.session[LAST_SEEN_KEY]
    status, writes = _session_writes(sysops_client, STAFF_PAGE)
    assert status == 200
    assert writes == []
    assert sysops_client.session[LAST_SEEN_KEY] == seen


def test_a_staff_page_read_after_the_resolution_moves_the_clock(settings, sysops_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    sysops_client.get(STAFF_PAGE)
    set_session_values(sysops_client, **{LAST_SEEN_KEY: time.time() - 61})
    status, writes = _session_writes(sysops_client, STAFF_PAGE)
    assert status == 200
    assert len(writes) == 1
    assert time.time() - sysops_client.session[LAST_SEEN_KEY] < 5


def test_the_idle_clock_lags_by_less_than_the_resolution_so_ends_early_never_late(
    settings, sysops_client
):
    settings.STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    sysops_client.get(STAFF_PAGE)
    written = time.time() - 59
    set_session_values(sysops_client, **{LAST_SEEN_KEY: written})
    assert sysops_client.get(STAFF_PAGE).status_code == 200
    assert sysops_client.session[LAST_SEEN_KEY] == written  # 59 s behind: within 60 s
    # Measured from the clock, the limit ends the session at most 60 s before 30 idle minutes.
    set_session_values(sysops_client, **{LAST_SEEN_KEY: time.time() - 1801})
    assert sysops_client.get(STAFF_PAGE).status_code == 302


def test_a_customer_page_read_writes_no_session(customer_client):
    customer_client.get("/account/")
    for path in ("/", "/account/", "/account/invoices/", "/inbox/", "/api/v1/me/profile"):
        status, writes = _session_writes(customer_client, path)
        assert status == 200, path
        assert writes == [], path


def test_the_nav_counts_poll_does_not_move_the_idle_clock(settings, sysops_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    sysops_client.get(STAFF_PAGE)
    written = time.time() - 61
    set_session_values(sysops_client, **{LAST_SEEN_KEY: written})
    status, writes = _session_writes(sysops_client, reverse("staff:nav_counts"))
    assert status == 200
    assert writes == []  # a page's own timer is not a person at work
    assert sysops_client.session[LAST_SEEN_KEY] == written
    sysops_client.get(STAFF_PAGE)
    assert time.time() - sysops_client.session[LAST_SEEN_KEY] < 5


def test_the_nav_counts_poll_of_an_idle_session_signs_it_out(settings, sysops_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    sysops_client.get(STAFF_PAGE)
    set_session_values(sysops_client, **{LAST_SEEN_KEY: time.time() - 1801})
    assert sysops_client.get(reverse("staff:nav_counts")).status_code == 302
    assert sysops_client.get(STAFF_PAGE).status_code == 302
