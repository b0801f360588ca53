"""The staff navigation's counts: the worker counts, a page only reads what it stored.

At a million customers a count takes seconds; a page that counted when its cache expired (and
every page arriving at that moment with it) had a p99 of 5.5-6.6 s. These tests hold that no
request counts, whatever state the stored counts are in, that the real periodic task keeps
them up to date, and that it counts nothing while no staff page wants them.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.staff_counts import (
    COUNTING_LOCK_KEY,
    COUNTS_CACHE_KEY,
    WANTED_KEY,
    staff_counts_refresh,
    staff_counts_stored,
    staff_counts_wanted,
)
from config.tasks import staff_nav_counts_refresh
from onboarding.alerts.services import admin_alert_raise
from onboarding.worker.runner import PeriodicScheduler
from tests.factories import staff_user
from tests.worker.conftest import run_worker_in_process

TASK_PATH = "config.tasks.staff_nav_counts_refresh"
# A staff page that counts none of the tables itself (the alert list and the console home do).
PAGE = "mail:list"
# The tables the four counts read; a request's SQL must not count any of them.
COUNTED_TABLES = (
    "contracts_contract",
    "acceptance_",
    "risk_riskevent",
    "alerts_adminalert",
    "sysops_servicerequest",
)


@pytest.fixture(autouse=True)
def _no_stored_counts():
    cache.clear()
    yield
    cache.clear()


def _count_queries(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if "COUNT(" in q["sql"].upper() and any(table in q["sql"] for table in COUNTED_TABLES)
    ]


def _nav(html: str) -> str:
    start = html.index('<nav class="staff-nav"')
    return html[start : html.index("</nav>", start)]


@pytest.mark.django_db
def test_a_staff_page_with_no_stored_counts_counts_nothing(sysops_client, customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    with CaptureQueriesContext(connection) as ctx:
        response = sysops_client.get(reverse(PAGE))
    assert response.status_code == 200
    assert _count_queries(ctx.captured_queries) == []
    # Before the worker's first run the nav shows no badge rather than a made-up number.
    assert "nav-count" not in _nav(response.content.decode())
    assert response.context["staff_nav"].stored is None
    assert cache.get(COUNTS_CACHE_KEY) is None  # the request stored nothing either


@pytest.mark.django_db
def test_old_stored_counts_are_shown_with_their_age_and_not_recounted(
    sysops_client, customer, settings
):
    settings.STAFF_NAV_COUNTS_STALE_SECONDS = 30
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    counted_at = timezone.now() - timedelta(minutes=10)
    cache.set(
        COUNTS_CACHE_KEY,
        {
            "counts": {"requests": 0, "acceptance": 0, "risk": 0, "alerts": 7},
            "counted_at": counted_at.isoformat(),
        },
        timeout=None,
    )
    with CaptureQueriesContext(connection) as ctx:
        response = sysops_client.get(reverse(PAGE))
    assert _count_queries(ctx.captured_queries) == []
    # The last known value, not a recount (there is one open alert, the store says 7).
    assert 'data-count="alerts">7<' in _nav(response.content.decode())
    nav = response.context["staff_nav"]
    assert nav.counts_stale is True
    assert 590 <= nav.counts_age_seconds <= 660


@pytest.mark.django_db
def test_fresh_counts_are_not_stale(sysops_client):
    staff_counts_refresh()
    nav = sysops_client.get(reverse(PAGE)).context["staff_nav"]
    assert nav.counts_stale is False
    assert nav.counts_age_seconds < 30


@pytest.mark.django_db
def test_the_refresh_counts_and_stores_what_the_selectors_say(customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    stored = staff_counts_refresh()
    assert stored.counts == {
        "requests": 0,
        "acceptance": 0,
        "risk": 0,
        "alerts": 1,
        "service_credits": 0,
    }
    assert staff_counts_stored() == stored


@pytest.mark.django_db
def test_a_worker_counting_already_makes_a_second_refresh_stand_aside(customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    assert cache.add(COUNTING_LOCK_KEY, 1, 60)  # another worker is counting
    with CaptureQueriesContext(connection) as ctx:
        assert staff_counts_refresh() is None
    assert _count_queries(ctx.captured_queries) == []
    cache.delete(COUNTING_LOCK_KEY)
    assert staff_counts_refresh().counts["alerts"] == 1
    assert cache.get(COUNTING_LOCK_KEY) is None  # released after counting


@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_run_by_the_worker_updates_the_stored_counts(customer):
    """The real path: the scheduler enqueues the task by its dotted path, the worker runs it."""
    client = Client()
    client.force_login(staff_user())
    staff_counts_refresh()
    assert 'data-count="alerts"' not in _nav(client.get(reverse(PAGE)).content.decode())

    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    # Stored counts lag: the page still shows the last run's.
    assert 'data-count="alerts"' not in _nav(client.get(reverse(PAGE)).content.decode())

    enqueued = PeriodicScheduler(periodic_tasks={TASK_PATH: 5}, worker_id="nav-test").tick(
        timezone.now()
    )
    assert len(enqueued) == 1
    run_worker_in_process()

    row = DBTaskResult.objects.get(task_path=TASK_PATH)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert staff_counts_stored().counts["alerts"] == 1
    assert 'data-count="alerts">1<' in _nav(client.get(reverse(PAGE)).content.decode())


@pytest.mark.django_db(transaction=True)
def test_pages_arriving_together_with_no_stored_counts_do_not_count(customer):
    """A fresh install or a flushed cache: every page arriving at once reads, none counts."""
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    staff = staff_user()
    pages = 6
    barrier = threading.Barrier(pages)
    counted: list[list[str]] = []
    statuses: list[int] = []
    errors: list[BaseException] = []

    def page() -> None:
        try:
            client = Client()
            client.force_login(staff)
            barrier.wait()
            with CaptureQueriesContext(connection) as ctx:
                statuses.append(client.get(reverse(PAGE)).status_code)
            counted.append(_count_queries(ctx.captured_queries))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=page) for _ in range(pages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert statuses == [200] * pages
    assert counted == [[]] * pages
    assert cache.get(COUNTS_CACHE_KEY) is None


# --- counted only while staff pages want them ---------------------------------------------------


@pytest.mark.django_db
def test_the_task_counts_nothing_while_no_staff_page_wants_the_counts(customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    with CaptureQueriesContext(connection) as ctx:
        assert staff_nav_counts_refresh.call() is None
    assert _count_queries(ctx.captured_queries) == []
    assert cache.get(COUNTS_CACHE_KEY) is None


@pytest.mark.django_db
def test_a_staff_page_reading_the_counts_makes_the_next_run_count(sysops_client, customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    with CaptureQueriesContext(connection) as ctx:
        sysops_client.get(reverse(PAGE))
    assert _count_queries(ctx.captured_queries) == []  # the page itself still counts nothing
    assert staff_counts_wanted()

    assert staff_nav_counts_refresh.call()["alerts"] == 1
    assert staff_counts_stored().counts["alerts"] == 1


@pytest.mark.django_db
def test_once_the_mark_has_lapsed_the_task_stops_counting(sysops_client, customer):
    sysops_client.get(reverse(PAGE))
    staff_nav_counts_refresh.call()
    before = cache.get(COUNTS_CACHE_KEY)
    cache.set(WANTED_KEY, time.time() - 1, timeout=None)  # the last staff page was long ago

    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    assert staff_nav_counts_refresh.call() is None
    assert cache.get(COUNTS_CACHE_KEY) == before  # the last known counts stay


@pytest.mark.django_db
def test_pages_renew_the_mark_only_once_half_of_it_is_gone(sysops_client, settings):
    settings.STAFF_NAV_COUNTS_WANTED_SECONDS = 300
    sysops_client.get(reverse(PAGE))
    first = cache.get(WANTED_KEY)
    assert 290 < first - time.time() <= 300

    sysops_client.get(reverse(PAGE))
    assert cache.get(WANTED_KEY) == first  # not rewritten on every page

    cache.set(WANTED_KEY, time.time() + 100, timeout=100)  # less than half is left
    sysops_client.get(reverse(PAGE))
    assert cache.get(WANTED_KEY) - time.time() > 290


@pytest.mark.django_db
def test_a_staff_page_answers_without_badges_when_the_cache_is_down(
    settings, sysops_client, caplog
):
    staff_counts_refresh()
    # A Redis nobody listens on: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "onboarding.core.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = sysops_client.get(reverse(PAGE))
    assert response.status_code == 200
    assert "nav-count" not in _nav(response.content.decode())
    assert "staff nav counts unreadable" in caplog.text


@pytest.mark.django_db
def test_the_nav_poll_answers_the_stored_badges_out_of_band_without_counting(sysops_client):
    cache.set(
        COUNTS_CACHE_KEY,
        {
            "counts": {"requests": 0, "acceptance": 2, "risk": 0, "alerts": 7},
            "counted_at": timezone.now().isoformat(),
        },
        timeout=None,
    )
    with CaptureQueriesContext(connection) as ctx:
        response = sysops_client.get(reverse("staff:nav_counts"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert _count_queries(ctx.captured_queries) == []
    html = response.content.decode()
    # One slot per counted entry, each swapped by its id; no links (the page keeps its own).
    assert html.count('hx-swap-oob="true"') == 4
    assert '<span class="count-slot" id="staff-count-requests" hx-swap-oob="true"></span>' in html
    assert 'data-count="alerts">7<' in html and 'data-count="acceptance">2<' in html
    assert "<a " not in html
    assert staff_counts_wanted()  # an open page keeps the worker counting


@pytest.mark.django_db
def test_a_staff_page_polls_for_its_nav_counts(sysops_client, settings):
    settings.STAFF_NAV_COUNTS_POLL_SECONDS = 30
    nav = _nav(sysops_client.get(reverse(PAGE)).content.decode())
    assert f'hx-get="{reverse("staff:nav_counts")}"' in nav
    assert 'hx-trigger="every 30s, visibilitychange from:document"' in nav
