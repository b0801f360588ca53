"""The staff console's tiles: counts the worker has not stored, or stored too long ago to trust,
never say "None"; the tiles say they are being counted and ask again (a bounded poll) until the
worker's counts are in. A page never counts (config/staff_counts.py)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from config.staff_counts import COUNTS_CACHE_KEY, staff_counts_refresh
from config.views import STAFF_COUNTS_POLL_LIMIT
from onboarding.alerts.services import admin_alert_raise

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _no_stored_counts(settings):
    settings.STAFF_NAV_COUNTS_STALE_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def _store(counts: dict[str, int], *, age: timedelta) -> None:
    """Counts as the worker stores them, counted `age` ago."""
    cache.set(
        COUNTS_CACHE_KEY,
        {
            "counts": {"requests": 0, "acceptance": 0, "risk": 0, "alerts": 0, **counts},
            "counted_at": (timezone.now() - age).isoformat(),
        },
        timeout=None,
    )


def _tile(html: str, card: str) -> str:
    start = html.index(f'data-card="{card}"')
    return html[start : html.index("</a>", start)]


def test_with_no_counts_stored_the_tiles_say_counting_not_none(sysops_client, customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    html = sysops_client.get(reverse("staff:home")).content.decode()
    assert "None open" not in html and "None red" not in html
    assert "Counting…" in _tile(html, "alerts")
    assert "Counting…" in _tile(html, "acceptance")
    assert 'data-counts="counting"' in html
    assert f'hx-get="{reverse("staff:home")}?poll=1"' in html


def test_counts_older_than_the_stale_limit_are_not_claimed(sysops_client):
    _store({"alerts": 0}, age=timedelta(minutes=20))  # before a quiet spell: nobody counted since
    html = sysops_client.get(reverse("staff:home")).content.decode()
    assert "None open" not in html
    assert "Counting…" in _tile(html, "alerts")
    assert "?poll=1" in html


def test_current_counts_show_with_their_time_and_stop_asking(sysops_client, customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    stored = staff_counts_refresh()
    html = sysops_client.get(reverse("staff:home")).content.decode()
    assert '<p class="count-line" data-count="1">1 open</p>' in _tile(html, "alerts")
    assert "None red" in _tile(html, "acceptance")
    assert 'data-counts="current"' in html
    assert f"{stored.counted_at:%H:%M:%S} UTC" in html
    assert "hx-get" not in html[html.index('id="staff-tiles"') :].split(">", 1)[0]


def test_the_poll_gets_the_tiles_alone_and_the_counts_once_the_worker_stored_them(
    sysops_client, customer
):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    asking = sysops_client.get(reverse("staff:home") + "?poll=3", **HTMX)
    html = asking.content.decode()
    assert html.lstrip().startswith('<div id="staff-tiles"') and "<html" not in html
    assert "?poll=4" in html and "Counting…" in html

    staff_counts_refresh()  # the worker's periodic task
    html = sysops_client.get(reverse("staff:home") + "?poll=4", **HTMX).content.decode()
    assert '<p class="count-line" data-count="1">1 open</p>' in html
    assert "?poll=" not in html


def test_after_the_last_poll_missing_counts_say_they_were_not_counted(sysops_client):
    url = reverse("staff:home") + f"?poll={STAFF_COUNTS_POLL_LIMIT}"
    html = sysops_client.get(url, **HTMX).content.decode()
    assert "?poll=" not in html
    assert "None" not in _tile(html, "alerts")
    assert "Not counted yet" in _tile(html, "alerts")
    assert 'data-counts="missing"' in html


def test_after_the_last_poll_old_counts_show_when_they_were_counted(sysops_client):
    _store({"acceptance": 2}, age=timedelta(minutes=20))
    url = reverse("staff:home") + f"?poll={STAFF_COUNTS_POLL_LIMIT}"
    html = sysops_client.get(url, **HTMX).content.decode()
    assert "?poll=" not in html
    assert "2 red" in _tile(html, "acceptance")
    assert 'data-counts="old"' in html and "may be out of date" in html


@pytest.mark.parametrize("poll", ["x", "-4", ""])
def test_a_bad_poll_parameter_is_the_first_ask(sysops_client, poll):
    response = sysops_client.get(reverse("staff:home") + f"?poll={poll}", **HTMX)
    assert response.status_code == 200
    assert "?poll=1" in response.content.decode()
