"""The reads behind the pages that show the health score: fixed queries, the right order."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onboarding.health.charts import SPARK_PAD, SPARK_WIDTH, band_bars, sparkline
from onboarding.health.reads import (
    QueueSort,
    customer_health_card,
    health_for_customers,
    health_history,
    health_queue,
    queue_queryset,
)
from tests.health.shown import a_customer, a_test_customer, counted, scored

pytestmark = pytest.mark.django_db


def test_a_customer_not_yet_scored_has_no_card_in_one_query(django_assert_num_queries):
    customer = a_customer()
    with django_assert_num_queries(1):
        assert customer_health_card(customer_id=customer.pk) is None


def test_the_card_has_the_three_costliest_factors_most_first_with_their_explanation():
    customer = a_customer()
    scored(customer, costs={"payment": 30, "card": 10, "service": 12, "engagement": 2}, trend=-9)
    card = customer_health_card(customer_id=customer.pk)
    assert (card.score, card.band, card.trend, card.trend_direction) == (46, "yellow", -9, "down")
    assert [(f.factor, f.cost, f.weight) for f in card.costliest] == [
        ("payment", 30, 30),
        ("service", 12, 20),
        ("card", 10, 10),
    ]
    assert card.costliest[0].explanation.startswith("2 invoices overdue")
    assert len(card.factors) == 6


def test_the_card_and_its_history_take_two_queries_for_1_and_100_snapshots():
    few, many = a_customer(), a_customer()
    scored(few, costs={"payment": 30})
    scored(many, costs={"payment": 30}, history=[(n, 50 + n % 40) for n in range(1, 100)])
    counts = []
    for customer in (few, many):
        with CaptureQueriesContext(connection) as queries:
            card = customer_health_card(customer_id=customer.pk)
            card.sparkline  # noqa: B018 (drawn from what was read)
        counts.append(len(queries))
    assert counts == [2, 2]
    assert len(customer_health_card(customer_id=many.pk).history) == 100


def test_the_history_is_the_window_oldest_first():
    customer = a_customer()
    scored(customer, costs={"card": 10}, history=[(400, 20), (100, 55), (20, 80)])
    assert [p.score for p in health_history(customer_id=customer.pk)] == [55, 80, 90]
    assert [p.score for p in health_history(customer_id=customer.pk, days=30)] == [80, 90]


def test_scores_for_a_page_of_customers_take_one_query(django_assert_num_queries):
    customers = [a_customer() for _ in range(12)]
    for n, customer in enumerate(customers[:10]):
        scored(customer, costs={"payment": n * 5})
    with django_assert_num_queries(1):
        scores = health_for_customers(customer_ids=[c.pk for c in customers])
    assert len(scores) == 10  # the two not yet scored are missing
    assert scores[customers[9].pk].score == 55
    assert health_for_customers(customer_ids=[]) == {}


def _health_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "health_customerhealth" in q["sql"]]


def test_the_queue_is_worst_first_and_the_fastest_fall_breaks_a_tie():
    steady, falling, fine, worst = (a_customer(name) for name in ("S", "F", "G", "W"))
    scored(steady, costs={"payment": 30}, trend=0)
    scored(falling, costs={"payment": 30}, trend=-20)
    scored(fine, costs={"engagement": 5}, trend=3)
    scored(worst, costs={"payment": 30, "acceptance": 20, "service": 20}, trend=-2)
    counted()
    with CaptureQueriesContext(connection) as queries:
        queue = health_queue()
    # One query reads the scores (the page); the counts are the worker's, read from the cache
    # (which is a table on SQLite, so only the health table's queries are counted).
    assert len(_health_queries(queries)) == 1
    assert [row.customer.pk for row in queue.rows] == [worst.pk, falling.pk, steady.pk, fine.pk]
    assert queue.page.count == 4
    assert queue.rows[0].top_factor.factor == "payment"
    assert queue.rows[-1].top_factor.factor == "engagement"


def test_the_queue_sorted_by_trend_puts_the_fastest_fall_first():
    customers = [a_customer() for _ in range(3)]
    for customer, (cost, trend) in zip(customers, [(60, -2), (10, -30), (30, 5)], strict=True):
        scored(
            customer, costs={"payment": min(cost, 30), "service": max(0, cost - 30)}, trend=trend
        )
    queue = health_queue(sort=QueueSort.TREND)
    assert [row.health.trend for row in queue.rows] == [-30, -2, 5]


def test_the_queue_filters_by_band_and_counts_every_band_for_the_chart():
    for costs in (
        {"payment": 30, "acceptance": 20, "service": 20},
        {"payment": 30, "card": 10},
        {},
        {},
    ):
        scored(a_customer(), costs=costs)
    counted()
    queue = health_queue(band="green")
    assert [row.health.band for row in queue.rows] == ["green", "green"]
    assert queue.page.count == 2
    assert {bar.band: bar.count for bar in queue.chart.bands} == {
        "red": 1,
        "yellow": 1,
        "green": 2,
    }
    assert health_queue(band="purple").band == ""  # not a band: all of them


def test_test_customers_are_kept_out_of_the_queue_and_its_chart(sysops):
    real = a_customer("Real Ltd")
    scored(real, costs={"payment": 30})
    scored(a_test_customer("Simulated Ltd", sysops), costs={"payment": 30, "acceptance": 20})
    assert counted().total() == 1
    queue = health_queue()
    assert [row.customer.pk for row in queue.rows] == [real.pk]
    assert queue.chart.total == 1


def test_the_queue_pages_at_its_size():
    for n in range(7):
        scored(a_customer(), costs={"payment": n})
    counted()
    second = health_queue(page=2, size=3)
    assert second.page.number == 2
    assert [row.health.score for row in second.rows] == [97, 98, 99]  # 94-96 came first
    last = health_queue(page=3, size=3)
    assert (len(last.rows), last.page.has_next, last.page.num_pages) == (1, False, 3)
    past = health_queue(page=99, size=3)  # past the end: empty, and it says where the end is
    assert (past.rows, past.page.past_end, past.page.last_page) == ([], True, 3)
    assert past.page.previous_page_number == 3


def test_pages_the_lagging_counts_miss_are_still_shown(settings):
    """The counts were stored before more customers were scored: a page beyond the counted
    pages still shows its rows and its next page, and the counts say how old they are."""
    for n in range(3):
        scored(a_customer(), costs={"payment": n})
    counted()
    for n in range(3, 10):
        scored(a_customer(), costs={"payment": n})
    third = health_queue(page=3, size=3)  # the counts say 3 customers: one page
    assert [row.health.score for row in third.rows] == [97, 98, 99]
    assert (third.page.count, third.page.has_next, third.page.num_pages) == (3, True, 4)
    assert not third.counts.is_stale
    settings.HEALTH_COUNTS_STALE_SECONDS = -1
    assert health_queue().counts.is_stale
    assert counted().total() == 10


def test_without_stored_counts_the_queue_pages_on_and_has_no_total():
    for n in range(5):
        scored(a_customer(), costs={"payment": n})
    queue = health_queue(page=2, size=2)
    assert queue.counts is None and queue.page.count is None and queue.page.num_pages is None
    assert len(queue.rows) == 2 and queue.page.has_next
    assert queue.chart.total == 0


def test_the_worker_counts_only_while_the_queue_is_wanted():
    from onboarding.health.counts import health_counts_refresh_if_wanted, health_counts_stored

    scored(a_customer(), costs={"payment": 5})
    with CaptureQueriesContext(connection) as queries:
        assert health_counts_refresh_if_wanted() is None  # nobody read the queue
    assert _health_queries(queries) == []
    health_queue()  # reading the counts marks them wanted
    assert health_counts_refresh_if_wanted().total() == 1
    assert health_counts_stored().by_band["green"] == {95: 1}


def test_the_queue_orders_as_sorting_every_row_would(sysops):
    """The same rows in the same order as a full sort by (score, trend, id) or (trend, score,
    id), ties included, per band: what the indexes of health 0003 are read in."""
    import random

    rng = random.Random(19)
    for _ in range(40):
        cost = rng.choice([0, 5, 10, 30, 35, 45, 60, 70])
        costs = {"payment": min(cost, 30), "service": min(20, max(0, cost - 30))}
        costs["acceptance"] = max(0, cost - 50)
        scored(a_customer(), costs=costs, trend=rng.choice([-20, -5, 0, 0, 3]))
    scored(a_test_customer("Simulated Ltd", sysops), costs={"payment": 30})
    counted()
    rows = [r.health for p in (1, 2) for r in health_queue(page=p, size=25).rows]
    assert len(rows) == 40
    by_score = sorted(rows, key=lambda h: (h.score, h.trend, h.customer_id))
    by_trend = sorted(rows, key=lambda h: (h.trend, h.score, h.customer_id))
    assert [h.customer_id for h in rows] == [h.customer_id for h in by_score]
    trend_rows = [
        r.health for p in (1, 2) for r in health_queue(sort=QueueSort.TREND, page=p, size=25).rows
    ]
    assert [h.customer_id for h in trend_rows] == [h.customer_id for h in by_trend]
    for band in ("red", "yellow", "green"):
        for sort, ordered in ((QueueSort.SCORE, by_score), (QueueSort.TREND, by_trend)):
            got = [r.health.customer_id for r in health_queue(band=band, sort=sort, size=50).rows]
            assert got == [h.customer_id for h in ordered if h.band == band]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
@pytest.mark.parametrize(
    ("band", "sort", "index"),
    [
        (None, QueueSort.SCORE, "health_queue_score_idx"),
        (None, QueueSort.TREND, "health_queue_trend_idx"),
        ("red", QueueSort.SCORE, "health_queue_band_score_idx"),
        ("yellow", QueueSort.TREND, "health_queue_band_trend_idx"),
    ],
)
def test_each_order_of_the_queue_is_read_along_its_index_without_a_sort(band, sort, index):
    """With sorting and sequential scans priced out, the plan of the page's query reads the
    index that matches its ORDER BY, and sorts nothing (the index has its order exactly)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    plan = queue_queryset(band=band or "", sort=sort)[50:76].explain()
    assert index in plan, plan
    assert "Sort" not in plan, plan


def test_the_sparkline_steps_from_each_score_to_the_next_and_ends_now():
    from django.utils import timezone

    now = timezone.now()
    line = sparkline(
        [(now - timedelta(days=90), 100), (now - timedelta(days=45), 50)],
        until=now,
        current=50,
        days=180,
    )
    points = [tuple(map(float, p.split(","))) for p in line.points.split()]
    assert points[0][0] == pytest.approx(SPARK_WIDTH / 2, abs=1)  # 90 of 180 days: the middle
    assert points[0][1] < points[-1][1]  # 100 is higher on the chart than 50
    assert points[-1][0] == SPARK_WIDTH - SPARK_PAD  # the right edge, inside its padding
    assert line.low == 50 and line.high == 100
    assert "from 100 to 50" in line.description


def test_a_sparkline_without_history_is_the_current_score_across():
    from django.utils import timezone

    line = sparkline([], until=timezone.now(), current=72, days=180)
    ys = {p.split(",")[1] for p in line.points.split()}
    assert len(ys) == 1
    assert "unchanged" in line.description


def test_the_band_chart_scales_to_the_largest_band_and_buckets_scores_in_tens():
    chart = band_bars({"red": {5: 1, 35: 1}, "yellow": {55: 4}, "green": {100: 2, 90: 1}})
    assert [(bar.band, bar.count) for bar in chart.bands] == [
        ("red", 2),
        ("yellow", 4),
        ("green", 3),
    ]
    assert max(bar.width for bar in chart.bands) == chart.bands[1].width
    assert [column.total for column in chart.columns] == [1, 0, 0, 1, 0, 4, 0, 0, 0, 3]
    assert chart.largest_bucket == 4
