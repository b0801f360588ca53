"""Proration: exact figures, the edges, and properties over any sequence of changes."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onboarding.billing.proration import prorate, prorate_longer_cycle

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 2, 1, tzinfo=UTC)  # 31 days: 2,678,400 seconds


def test_a_change_halfway_credits_half_the_old_and_charges_half_the_new():
    at = START + (END - START) / 2
    p = prorate(
        period_start=START, period_end=END, at=at, old_total_minor=10000, new_total_minor=30000
    )
    assert (p.credit_minor, p.charge_minor, p.net_minor) == (5000, 15000, 10000)
    assert p.remaining_seconds * 2 == p.period_seconds == 2_678_400


def test_the_credit_rounds_up_and_the_charge_rounds_down():
    # 10 days and 1 second of 31 days: 864,001 / 2,678,400 of each price.
    at = END - timedelta(days=10, seconds=1)
    p = prorate(
        period_start=START, period_end=END, at=at, old_total_minor=4900, new_total_minor=9900
    )
    assert p.credit_minor == 1581  # 4900 x 864001 / 2678400 = 1580.6...
    assert p.charge_minor == 3193  # 9900 x 864001 / 2678400 = 3193.5...


def test_a_begun_second_belongs_to_the_old_terms():
    at = END - timedelta(seconds=10, microseconds=500)
    p = prorate(period_start=START, period_end=END, at=at, old_total_minor=1, new_total_minor=2)
    assert p.remaining_seconds == 10


def test_a_change_at_the_period_start_is_a_full_swap():
    p = prorate(
        period_start=START, period_end=END, at=START, old_total_minor=4900, new_total_minor=9900
    )
    assert (p.credit_minor, p.charge_minor) == (4900, 9900)


def test_a_change_at_the_period_end_costs_and_credits_nothing():
    p = prorate(
        period_start=START, period_end=END, at=END, old_total_minor=4900, new_total_minor=9900
    )
    assert (p.credit_minor, p.charge_minor, p.remaining_seconds) == (0, 0, 0)


def test_the_credit_never_exceeds_what_was_paid_for_the_old_terms():
    p = prorate(
        period_start=START,
        period_end=END,
        at=START,
        old_total_minor=10000,
        new_total_minor=20000,
        old_paid_minor=3000,
    )
    assert p.credit_minor == 3000


def test_an_increase_never_nets_below_zero_through_rounding():
    # 100 -> 101 over a third of a second-counted period: floor(33.67) = 33 < ceil(33.33) = 34.
    period_end = START + timedelta(seconds=3)
    p = prorate(
        period_start=START,
        period_end=period_end,
        at=START + timedelta(seconds=2),
        old_total_minor=100,
        new_total_minor=101,
    )
    assert p.net_minor == 0


@pytest.mark.parametrize(
    "at", [datetime(2026, 1, 1), START - timedelta(seconds=1), END + timedelta(seconds=1)]
)
def test_a_naive_or_outside_moment_is_refused(at):
    with pytest.raises(ValueError):
        prorate(period_start=START, period_end=END, at=at, old_total_minor=1, new_total_minor=1)


# --- Properties -------------------------------------------------------------------------------

prices = st.integers(min_value=0, max_value=10_000_000)
quantities = st.integers(min_value=1, max_value=500)


@st.composite
def periods_and_changes(draw):
    """A period of 1 second to 400 days and up to 8 changes at sorted moments within it, each
    to a price and quantity (up or down)."""
    length = draw(st.integers(min_value=1, max_value=400 * 86400))
    start = START + timedelta(seconds=draw(st.integers(min_value=0, max_value=86400 * 365)))
    end = start + timedelta(seconds=length)
    offsets = sorted(
        draw(
            st.lists(st.integers(min_value=0, max_value=length * 1_000_000), min_size=0, max_size=8)
        )
    )
    terms = draw(st.lists(st.tuples(prices, quantities), min_size=len(offsets) + 1))
    moments = [start + timedelta(microseconds=offset) for offset in offsets]
    return start, end, moments, [price * qty for price, qty in terms[: len(offsets) + 1]]


def _run(start, end, moments, totals):
    """Apply every change in turn as billing does; returns (charged, credited, paid) per step."""
    charged = totals[0]  # the period's invoice, paid in full
    paid_for_current = totals[0]
    steps = []
    for at, old, new in zip(moments, totals, totals[1:], strict=False):
        p = prorate(
            period_start=start,
            period_end=end,
            at=at,
            old_total_minor=old,
            new_total_minor=new,
            old_paid_minor=paid_for_current,
        )
        steps.append((p, paid_for_current))
        charged += p.net_minor
        paid_for_current = p.charge_minor
    return charged, steps


@settings(max_examples=400, deadline=None)
@given(periods_and_changes())
def test_a_period_never_costs_more_than_its_dearest_terms(case):
    start, end, moments, totals = case
    charged, _ = _run(start, end, moments, totals)
    assert 0 <= charged <= max(totals)


@settings(max_examples=400, deadline=None)
@given(periods_and_changes())
def test_no_credit_gives_back_more_than_was_paid_for_the_terms_it_ends(case):
    start, end, moments, totals = case
    _, steps = _run(start, end, moments, totals)
    for p, paid_for_old in steps:
        assert 0 <= p.credit_minor <= paid_for_old
        assert p.charge_minor >= 0
    credited = sum(p.credit_minor for p, _ in steps)
    assert credited <= totals[0] + sum(p.charge_minor for p, _ in steps)


@settings(max_examples=200, deadline=None)
@given(periods_and_changes())
def test_increases_alone_never_net_below_zero(case):
    start, end, moments, totals = case
    rising = sorted(totals)
    _, steps = _run(start, end, moments, rising)
    assert all(p.net_minor >= 0 for p, _ in steps)


# --- A longer cycle from now ------------------------------------------------------------------


def test_a_move_to_annual_halfway_through_a_month_credits_half_the_month_and_charges_the_rest_of_the_year():  # noqa: E501
    year_end = datetime(2027, 1, 1, tzinfo=UTC)
    at = START + (END - START) / 2
    p = prorate_longer_cycle(
        period_start=START,
        old_end=END,
        new_end=year_end,
        at=at,
        old_total_minor=9900,
        new_total_minor=99000,
    )
    assert p.credit_minor == 4950
    seconds_left = int((year_end - at).total_seconds())
    assert p.charge_minor == 99000 * seconds_left // int((year_end - START).total_seconds())


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=31 * 86400),
    prices,
    prices,
    st.integers(min_value=0, max_value=10_000_000),
)
def test_a_longer_cycle_never_charges_more_than_its_price_nor_credits_more_than_was_paid(
    offset, old_total, new_total, paid
):
    year_end = datetime(2027, 1, 1, tzinfo=UTC)
    p = prorate_longer_cycle(
        period_start=START,
        old_end=END,
        new_end=year_end,
        at=START + timedelta(seconds=offset),
        old_total_minor=old_total,
        new_total_minor=new_total,
        old_paid_minor=paid,
    )
    assert 0 <= p.charge_minor <= new_total
    assert 0 <= p.credit_minor <= min(old_total, paid)
