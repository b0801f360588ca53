"""Where the health score is shown: the top of the customer view, a column of the search
results, and the managers' queue with its chart; in fixed queries however many customers."""

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.sysops.overview import customer_overview
from onboarding.sysops.services import customer_resolve
from tests.health.shown import a_customer, a_test_customer, counted, scored

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _card(html: str) -> str:
    return re.search(r'<section class="card health-card".*?</section>', html, flags=re.S).group(0)


# --- The customer view ---------------------------------------------------------------------------


def test_the_customer_view_opens_with_the_score_band_trend_and_costliest_factors(sysops_client):
    customer = a_customer("Analytical Engines")
    scored(
        customer,
        costs={"payment": 30, "service": 12, "card": 10, "engagement": 2},
        trend=-9,
        history=[(100, 90), (40, 70)],
    )
    html = _html(sysops_client.get(reverse("sysops:customer", args=[customer.pk])))
    card = _card(html)
    assert html.index('id="health"') < html.index('aria-label="Risks"')  # on top
    assert 'data-health-score="46"' in card and 'data-band="yellow"' in card
    assert '<span class="badge yellow" data-band-badge>Yellow</span>' in card
    assert 'data-trend="-9"' in card and "down 9 points" in card and "in 30 days" in card
    assert re.findall(r'data-factor="(\w+)"', card) == ["payment", "service", "card"]
    assert "2 invoices overdue, the oldest by 12 days" in card
    assert "\u221230 of 30" in card and "\u221212 of 20" in card  # minus signs
    assert "computed <time" in card
    assert re.search(r'<svg class="sparkline"[^>]*role="img"', card)
    assert "from 90 to 46" in card  # the sparkline's description of its history


def test_a_customer_not_yet_scored_is_told_so_plainly(sysops_client):
    customer = a_customer("Newcomer Ltd")
    card = _card(_html(sysops_client.get(reverse("sysops:customer", args=[customer.pk]))))
    assert 'data-health-score="none"' in card
    assert "Not scored yet" in card
    assert "<svg" not in card


def test_a_healthy_customer_is_told_nothing_costs_points(sysops_client):
    customer = a_customer("Fine Ltd")
    scored(customer, trend=4)
    card = _card(_html(sysops_client.get(reverse("sysops:customer", args=[customer.pk]))))
    assert 'data-health-score="100"' in card and "Green" in card
    assert 'data-factor="none"' in card and "up 4 points" in card


def _view_queries(customer) -> int:
    customer = customer_resolve(customer_id=customer.pk, source="test")
    with CaptureQueriesContext(connection) as queries:
        render_to_string(
            "sysops/customer_overview.html", {"o": customer_overview(customer=customer)}
        )
    return len(queries)


def test_the_scored_view_takes_one_query_more_for_any_length_of_history():
    unscored, short, long = a_customer(), a_customer(), a_customer()
    scored(short, costs={"payment": 30})
    scored(long, costs={"payment": 30}, history=[(n, 40 + n % 50) for n in range(1, 120)])
    # The history's one query; the rest is the view's own (tests/sysops/test_overview.py).
    assert _view_queries(short) == _view_queries(long) == _view_queries(unscored) + 1


# --- Search --------------------------------------------------------------------------------------


def _score_cells(html: str) -> list[str]:
    return re.findall(r'<td data-label="Score" class="sr-score">(.*?)</td>', html, flags=re.S)


def test_search_results_show_each_customers_score_and_band(sysops_client):
    red, unscored = a_customer("Gearworks Red"), a_customer("Gearworks New")
    scored(red, costs={"payment": 30, "acceptance": 20, "service": 20}, trend=-15)
    html = _html(sysops_client.get(reverse("sysops:customer_search"), {"q": "gearworks"}))
    assert "<th>Score</th>" in html
    cells = dict(
        zip(re.findall(r'<tr data-customer="(\d+)"', html), _score_cells(html), strict=True)
    )
    assert 'data-health-score="30"' in cells[str(red.pk)]
    assert '<span class="badge red">Red</span>' in cells[str(red.pk)]
    assert "Not scored yet" in cells[str(unscored.pk)]


def test_the_search_reads_the_scores_of_a_page_in_one_query():
    from onboarding.sysops.health import customer_search_with_health

    for n in range(12):
        customer = a_customer(f"Crowdco {n}")
        if n % 3:
            scored(customer, costs={"payment": n})
    with CaptureQueriesContext(connection) as queries:
        page = customer_search_with_health(query="crowdco")
    health_reads = [q for q in queries if "health_customerhealth" in q["sql"]]
    assert len(page.hits) == 12 and len(health_reads) == 1
    assert sum(hit.score is not None for hit in page.hits) == 8


# --- The managers' queue -------------------------------------------------------------------------


def _queue_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-customer="(\d+)">', html)


def test_the_queue_ranks_worst_first_and_links_each_customer_with_its_top_factor(manager_client):
    worst, middling, fine = a_customer("Worst"), a_customer("Middling"), a_customer("Fine")
    scored(worst, costs={"payment": 30, "acceptance": 20, "service": 20}, trend=-12)
    scored(middling, costs={"card": 10, "contract": 15, "service": 10}, trend=0)
    scored(fine, costs={"engagement": 5}, trend=2)
    counted()
    html = _html(manager_client.get(reverse("health:queue")))
    assert 'data-counted-at="' in html and "the counts are behind" not in html
    assert _queue_rows(html) == [str(worst.pk), str(middling.pk), str(fine.pk)]
    assert f'href="{reverse("sysops:customer", args=[worst.pk])}"' in html
    assert '<strong>Payment</strong> <span class="muted">\u221230</span>' in html
    assert "down 12 points" in html
    for band in ("red", "yellow", "green"):
        assert f'data-band-count="{band}">1<' in html
    assert '<svg class="score-columns"' in html and '<svg class="band-bars"' in html


def test_the_queue_sorted_by_trend_puts_the_fastest_fall_first(manager_client):
    slipping, bad = a_customer("Slipping"), a_customer("Bad")
    scored(slipping, costs={"service": 10}, trend=-25)
    scored(bad, costs={"payment": 30, "acceptance": 20, "service": 20}, trend=-1)
    html = _html(manager_client.get(reverse("health:queue"), {"sort": "trend"}))
    assert _queue_rows(html) == [str(slipping.pk), str(bad.pk)]


def test_the_queue_filters_by_band(sysops_client):
    red, green = a_customer("Red Co"), a_customer("Green Co")
    scored(red, costs={"payment": 30, "acceptance": 20, "service": 20})
    scored(green, costs={})
    html = _html(sysops_client.get(reverse("health:queue"), {"band": "red"}))
    assert _queue_rows(html) == [str(red.pk)]
    assert '<option value="red" selected>' in html
    empty = _html(sysops_client.get(reverse("health:queue"), {"band": "yellow"}))
    assert _queue_rows(empty) == [] and "No customer is in the yellow band." in empty


def test_an_unknown_band_is_a_field_error_not_a_failure(sysops_client):
    response = sysops_client.get(reverse("health:queue"), {"band": "purple", "sort": "nonsense"})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="field-error"') == 2


def test_the_queue_with_nobody_scored_says_so(admin_client_2fa):
    a_customer("Unscored")
    counted()
    html = _html(admin_client_2fa.get(reverse("health:queue")))
    assert _queue_rows(html) == []
    assert "No customer has been scored yet." in html and 'data-chart="empty"' in html


def test_the_queue_keeps_test_customers_out(sysops_client, sysops):
    real = a_customer("Real Co")
    scored(real, costs={"payment": 30})
    scored(a_test_customer("Clocked Co", sysops), costs={"payment": 30, "acceptance": 20})
    html = _html(sysops_client.get(reverse("health:queue")))
    assert _queue_rows(html) == [str(real.pk)]
    assert "Clocked Co" not in html


def test_the_queue_pages(sysops_client):
    for n in range(30):
        scored(a_customer(f"Paged {n}"), costs={"payment": n})
    counted()
    first = _html(sysops_client.get(reverse("health:queue")))
    second = _html(sysops_client.get(reverse("health:queue"), {"page": 2}))
    assert len(_queue_rows(first)) == 25 and len(_queue_rows(second)) == 5
    assert "Page 2 of 2 · 30 customers" in second
    assert set(_queue_rows(first)).isdisjoint(_queue_rows(second))


def test_before_the_first_count_the_queue_says_so_and_still_pages(sysops_client):
    for n in range(30):
        scored(a_customer(f"Uncounted {n}"), costs={"payment": n})
    html = _html(sysops_client.get(reverse("health:queue")))
    assert 'data-chart="uncounted"' in html and "Not counted yet" in html
    assert len(_queue_rows(html)) == 25 and "Page 1</span>" in html and "?page=2" in html


def test_when_the_counts_lag_the_last_page_still_shows_and_past_it_says_so(sysops_client, settings):
    for n in range(5):
        scored(a_customer(f"Early {n}"), costs={"payment": n})
    counted()  # 5 customers: one page, by these counts
    for n in range(5, 30):
        scored(a_customer(f"Late {n}"), costs={"payment": n})
    settings.HEALTH_COUNTS_STALE_SECONDS = -1  # as if the worker had stopped
    second = _html(sysops_client.get(reverse("health:queue"), {"page": 2}))
    assert len(_queue_rows(second)) == 5  # not a 404, not the counted last page again
    assert "Page 2 of 2 · 5 customers" in second
    assert "the counts are behind" in second
    past = sysops_client.get(reverse("health:queue"), {"page": 7})
    html = _html(past)
    assert _queue_rows(html) == []
    assert "Page 7 is past the end of the queue." in html
    assert "Go to the last page" in html and "page=1" in html


def test_the_queue_takes_the_same_queries_for_3_and_25_customers(sysops_client):
    counted()
    sysops_client.get(reverse("health:queue"))  # the session's own reads, once
    counts = []
    for size in (3, 22):
        for n in range(size):
            scored(a_customer(f"Many {size} {n}"), costs={"payment": n % 30})
        with CaptureQueriesContext(connection) as queries:
            _html(sysops_client.get(reverse("health:queue")))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_staff_navigation_links_the_queue(sysops_client):
    html = _html(sysops_client.get(reverse("health:queue")))
    assert re.search(r'<a[^>]*href="/staff/health/"[^>]*aria-current="page"', html) or (
        'href="/staff/health/"' in html
    )


def test_customers_cannot_reach_the_queue(customer_client):
    assert customer_client.get(reverse("health:queue")).status_code == 404
