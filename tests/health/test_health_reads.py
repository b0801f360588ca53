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
)
from tests.health.shown import a_customer, a_test_customer, scored

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


def test_the_queue_is_worst_first_and_the_fastest_fall_breaks_a_tie(django_assert_num_queries):
    steady, falling, fine, worst = (a_customer(name) for name in ("S", "F", "G", "W"))
    scored(steady, costs={"payment": 30}, trend=0)
    scored(falling, costs={"payment": 30}, trend=-20)
    scored(fine, costs={"engagement": 5}, trend=3)
    scored(worst, costs={"payment": 30, "acceptance": 20, "service": 20}, trend=-2)
    with django_assert_num_queries(2):
        queue = health_queue()
    assert [row.customer.pk for row in queue.rows] == [worst.pk, falling.pk, steady.pk, fine.pk]
    assert queue.page.paginator.count == 4
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
    queue = health_queue(band="green")
    assert [row.health.band for row in queue.rows] == ["green", "green"]
    assert queue.page.paginator.count == 2
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
    queue = health_queue()
    assert [row.customer.pk for row in queue.rows] == [real.pk]
    assert queue.chart.total == 1


def test_the_queue_pages_at_its_size():
    for n in range(7):
        scored(a_customer(), costs={"payment": n})
    second = health_queue(page=2, size=3)
    assert second.page.number == 2
    assert [row.health.score for row in second.rows] == [97, 98, 99]  # 94-96 came first
    assert health_queue(page=99, size=3).page.number == 3  # past the end: the last page


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
