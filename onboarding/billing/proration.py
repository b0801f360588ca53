"""Proration: what a change of plan, quantity or price costs for the rest of a period.

Pure arithmetic on integer minor units and aware datetimes: no database, no floats.

A period [start, end) is counted in whole seconds. A change at moment `at` leaves
R = whole seconds from `at` to `end` (a second already begun belongs to the old terms) out of
L = whole seconds of the period. For the rest of the period:

- the credit for the unused old terms is old_total x R / L, rounded UP to the minor unit, and
  never more than what was charged for the old terms in this period (`old_paid_minor`);
- the charge for the new terms is new_total x R / L, rounded DOWN to the minor unit;
- an increase (new_total >= old_total) never nets below zero: where the two roundings would
  make it (by one minor unit at most), the credit is lowered to the charge.

Rounding always favours the customer, so however many changes a period sees, the period never
costs more than its dearest terms for the whole period, and no credit gives back more than was
paid (tests/billing/test_proration.py proves both with hypothesis). A change at the period's
start is a full swap (credit old_total, charge new_total); at its end, nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Proration:
    """The two amounts of one change, in minor units, and the seconds they cover."""

    credit_minor: int  # given back for the old terms' unused part (>= 0)
    charge_minor: int  # charged for the new terms over the rest of the period (>= 0)
    remaining_seconds: int
    period_seconds: int

    @property
    def net_minor(self) -> int:
        return self.charge_minor - self.credit_minor


def whole_seconds(delta: timedelta) -> int:
    """A non-negative duration in whole seconds, a begun second not counted."""
    return max(0, delta // _SECOND)


def _share_down(total: int, part: int, whole: int) -> int:
    return total * part // whole


def _share_up(total: int, part: int, whole: int) -> int:
    return -(-total * part // whole)


def prorate(
    *,
    period_start: datetime,
    period_end: datetime,
    at: datetime,
    old_total_minor: int,
    new_total_minor: int,
    old_paid_minor: int | None = None,
) -> Proration:
    """The credit and charge of moving from `old_total_minor` to `new_total_minor` (each the
    net price of the whole period: unit price x quantity) at `at`, within [start, end).

    `old_paid_minor`: what was charged for the old terms in this period (the period's invoice,
    or the last change's charge); the credit never exceeds it. None: the full old price.
    """
    if period_start.tzinfo is None or period_end.tzinfo is None or at.tzinfo is None:
        raise ValueError("proration needs aware datetimes")
    if not period_start < period_end:
        raise ValueError("a period ends after it starts")
    if not period_start <= at <= period_end:
        raise ValueError("the change lies outside the period")
    if old_total_minor < 0 or new_total_minor < 0:
        raise ValueError("prices are not negative")
    period = max(1, whole_seconds(period_end - period_start))
    remaining = min(period, whole_seconds(period_end - at))
    paid = old_total_minor if old_paid_minor is None else max(0, old_paid_minor)
    credit = min(_share_up(old_total_minor, remaining, period), paid)
    charge = _share_down(new_total_minor, remaining, period)
    if new_total_minor >= old_total_minor and charge < credit:
        credit = charge
    return Proration(
        credit_minor=credit,
        charge_minor=charge,
        remaining_seconds=remaining,
        period_seconds=period,
    )


def prorate_longer_cycle(
    *,
    period_start: datetime,
    old_end: datetime,
    new_end: datetime,
    at: datetime,
    old_total_minor: int,
    new_total_minor: int,
    old_paid_minor: int | None = None,
) -> Proration:
    """A move to a longer billing cycle now: the current period [start, old_end) is stretched
    to [start, new_end), the new cycle's length from the same start (periods stay counted from
    the anchor). The credit is the old terms' unused part of the old period, rounded up and
    capped as in `prorate`; the charge the new cycle's price over what is left of the new
    period, rounded down. The caller refuses a change that would net below zero."""
    if not period_start < old_end <= new_end:
        raise ValueError("the new period ends no earlier than the old one")
    old = prorate(
        period_start=period_start,
        period_end=old_end,
        at=at,
        old_total_minor=old_total_minor,
        new_total_minor=0,
        old_paid_minor=old_paid_minor,
    )
    new = prorate(
        period_start=period_start,
        period_end=new_end,
        at=at,
        old_total_minor=0,
        new_total_minor=new_total_minor,
    )
    return Proration(
        credit_minor=old.credit_minor,
        charge_minor=new.charge_minor,
        remaining_seconds=new.remaining_seconds,
        period_seconds=new.period_seconds,
    )
