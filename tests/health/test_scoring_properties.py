"""Properties of the score over any inputs and any settings (scoring.py; docs/health.md, "The
score"): the score is within 0..100, each factor costs between nothing and its weight, making
any one input worse never raises the score, and the band agrees with the thresholds.

"Worse" is a move a customer's record can make that the table of docs/health.md never rewards:
one more invoice overdue, failed, waiting or written off, an invoice older; acceptance from none
to yellow to red, a manager's acknowledgement gone, a longer wait; a contract sent longer ago,
set to cancel, nearer its end, no longer in force; one more open request or breach; a card
nearer its expiry, or gone with invoices to pay; a longer silence, more unread notices.
Inputs are consistent as selectors.health_reading builds them (a contract in force means the
customer has had one)."""

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from onboarding.health.models import Band, HealthSettings
from onboarding.health.scoring import (
    AcceptanceInputs,
    CardInputs,
    ContractInputs,
    EngagementInputs,
    HealthInputs,
    PaymentInputs,
    ServiceInputs,
    health_score,
)

counts = st.integers(0, 12)
# Mostly near the steps of the table (30, 60, 90 days...), sometimes far beyond.
days = st.integers(0, 120) | st.integers(0, 400)
maybe_days = st.none() | days


@st.composite
def health_settings(draw) -> HealthSettings:
    red_below = draw(st.integers(1, 99))
    green_from = draw(st.integers(red_below + 1, 100))
    weights = {
        f"{factor}_weight": draw(st.integers(0, 100))
        for factor in ("payment", "acceptance", "contract", "service", "card", "engagement")
    }
    return HealthSettings(pk=1, red_below=red_below, green_from=green_from, **weights)


@st.composite
def contract_inputs(draw) -> ContractInputs:
    in_force = draw(st.booleans())
    return ContractInputs(
        has_any=in_force or draw(st.booleans()),
        in_force=in_force,
        unacknowledged_days=draw(maybe_days) if in_force else None,
        days_to_expiry=draw(st.none() | st.integers(-5, 120) | st.integers(-5, 800))
        if in_force
        else None,
        cancel_at_period_end=in_force and draw(st.booleans()),
        ended_on=None if in_force else draw(st.none() | st.just(dt.date(2026, 3, 31))),
    )


@st.composite
def health_inputs(draw) -> HealthInputs:
    return HealthInputs(
        payment=PaymentInputs(
            open_count=draw(counts),
            overdue_count=draw(counts),
            oldest_overdue_days=draw(days),
            failed_count=draw(counts),
            action_required_count=draw(counts),
            uncollectible_count=draw(counts),
        ),
        acceptance=AcceptanceInputs(
            worst=draw(st.sampled_from(["", "yellow", "red"])), unacknowledged_days=draw(maybe_days)
        ),
        contract=draw(contract_inputs()),
        service=ServiceInputs(
            critical=draw(counts),
            high=draw(counts),
            normal=draw(counts),
            low=draw(counts),
            breaches_90_days=draw(counts),
        ),
        card=CardInputs(
            on_file=draw(st.booleans()),
            days_to_expiry=draw(st.none() | st.integers(-40, 120) | st.integers(-400, 800)),
            invoices_to_pay=draw(counts),
        ),
        engagement=EngagementInputs(
            days_since_sign_in=draw(maybe_days),
            days_since_joined=draw(days),
            unread_notices=draw(st.integers(0, 30)),
        ),
    )


def _more(draw, value: int) -> int:
    return value + draw(st.integers(1, 40))


def _later(draw, value: int | None) -> int:
    """A wait that is longer: from none (acknowledged, never) to some, or some more."""
    return draw(days) if value is None else _more(draw, value)


def _sooner(draw, value: int | None) -> int:
    """An expiry nearer: from none to some, or some fewer days left."""
    return draw(st.integers(-5, 120)) if value is None else value - draw(st.integers(1, 40))


def _worse(draw, inputs: HealthInputs) -> list[tuple[str, HealthInputs]]:
    """Each move of one input made worse: (what moved, the inputs after), one per move."""
    p, a, c, s, k, e = (
        inputs.payment,
        inputs.acceptance,
        inputs.contract,
        inputs.service,
        inputs.card,
        inputs.engagement,
    )
    moves = {
        "open invoice": ("payment", lambda: dataclasses.replace(p, open_count=_more(draw, 0))),
        "overdue": (
            "payment",
            lambda: dataclasses.replace(p, overdue_count=_more(draw, p.overdue_count)),
        ),
        "older": (
            "payment",
            lambda: dataclasses.replace(p, oldest_overdue_days=_more(draw, p.oldest_overdue_days)),
        ),
        "failed": (
            "payment",
            lambda: dataclasses.replace(p, failed_count=_more(draw, p.failed_count)),
        ),
        "action required": (
            "payment",
            lambda: dataclasses.replace(
                p, action_required_count=_more(draw, p.action_required_count)
            ),
        ),
        "uncollectible": (
            "payment",
            lambda: dataclasses.replace(p, uncollectible_count=_more(draw, p.uncollectible_count)),
        ),
        "rating worse": (
            "acceptance",
            lambda: dataclasses.replace(
                a, worst={"": "yellow", "yellow": "red"}.get(a.worst, "red")
            ),
        ),
        "acceptance waits": (
            "acceptance",
            lambda: dataclasses.replace(a, unacknowledged_days=_later(draw, a.unacknowledged_days)),
        ),
        "ended": (
            "contract",
            lambda: ContractInputs(has_any=True, in_force=False, ended_on=c.ended_on),
        ),
        "had one": (
            "contract",
            lambda: c if c.in_force else dataclasses.replace(c, has_any=True),
        ),
        "unacknowledged": (
            "contract",
            lambda: (
                c
                if not c.in_force
                else dataclasses.replace(c, unacknowledged_days=_later(draw, c.unacknowledged_days))
            ),
        ),
        "cancel at period end": (
            "contract",
            lambda: c if not c.in_force else dataclasses.replace(c, cancel_at_period_end=True),
        ),
        "contract nearer its end": (
            "contract",
            lambda: (
                c
                if not c.in_force
                else dataclasses.replace(c, days_to_expiry=_sooner(draw, c.days_to_expiry))
            ),
        ),
        "request open": (
            "service",
            lambda: (
                lambda severity: dataclasses.replace(
                    s, **{severity: _more(draw, getattr(s, severity))}
                )
            )(draw(st.sampled_from(["critical", "high", "normal", "low"]))),
        ),
        "breach": (
            "service",
            lambda: dataclasses.replace(s, breaches_90_days=_more(draw, s.breaches_90_days)),
        ),
        "card nearer expiry": (
            "card",
            lambda: dataclasses.replace(k, days_to_expiry=_sooner(draw, k.days_to_expiry)),
        ),
        "card gone with invoices to pay": (
            "card",
            lambda: CardInputs(on_file=False, invoices_to_pay=_more(draw, k.invoices_to_pay)),
        ),
        "invoice to pay": (
            "card",
            lambda: dataclasses.replace(k, invoices_to_pay=_more(draw, k.invoices_to_pay)),
        ),
        "silence": (
            "engagement",
            lambda: (
                dataclasses.replace(e, days_since_sign_in=_later(draw, e.days_since_sign_in))
                if e.days_since_sign_in is not None
                else dataclasses.replace(e, days_since_joined=_more(draw, e.days_since_joined))
            ),
        ),
        "unread": (
            "engagement",
            lambda: dataclasses.replace(e, unread_notices=_more(draw, e.unread_notices)),
        ),
    }
    return [
        (name, dataclasses.replace(inputs, **{factor: move()}))
        for name, (factor, move) in moves.items()
    ]


@settings(max_examples=400, deadline=None)
@given(inputs=health_inputs(), weights=health_settings())
def test_the_score_is_within_0_and_100_and_each_cost_within_its_weight(inputs, weights):
    result = health_score(inputs, weights)
    assert 0 <= result.score <= 100
    for factor in result.factors:
        assert factor.weight == weights.weight_of(factor.factor)
        assert 0 <= factor.cost <= factor.weight
        assert factor.explanation
    assert result.score == max(0, 100 - sum(f.cost for f in result.factors))


@settings(max_examples=400, deadline=None)
@given(inputs=health_inputs(), weights=health_settings())
def test_the_band_agrees_with_the_thresholds(inputs, weights):
    result = health_score(inputs, weights)
    if result.score < weights.red_below:
        assert result.band == Band.RED
    elif result.score >= weights.green_from:
        assert result.band == Band.GREEN
    else:
        assert result.band == Band.YELLOW


@settings(max_examples=1000, deadline=None)
@given(inputs=health_inputs(), weights=health_settings(), data=st.data())
def test_making_any_one_input_worse_never_raises_the_score(inputs, weights, data):
    before = health_score(inputs, weights)
    for name, worse in _worse(data.draw, inputs):
        after = health_score(worse, weights)
        assert after.score <= before.score, name
        for was, now in zip(before.factors, after.factors, strict=True):
            assert now.cost >= was.cost, (name, was, now)
