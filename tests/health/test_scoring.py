"""The score's arithmetic (scoring.py), factor by factor, with the default weights: each row is
one rule of docs/health.md, and each factor moves the score the documented way."""

import datetime as dt

import pytest

from onboarding.health.models import Band, Factor, HealthSettings
from onboarding.health.scoring import (
    AcceptanceInputs,
    CardInputs,
    ContractInputs,
    EngagementInputs,
    HealthInputs,
    PaymentInputs,
    ServiceInputs,
    cost_of,
    factor_score,
    health_score,
)

DEFAULTS = HealthSettings()

PAYMENT = [
    (PaymentInputs(), 0, "Nothing owed"),
    (PaymentInputs(open_count=1), 0, "1 invoice open, not yet due"),
    (PaymentInputs(open_count=1, overdue_count=1, oldest_overdue_days=3), 12, "overdue by 3 days"),
    (PaymentInputs(open_count=2, overdue_count=2, oldest_overdue_days=20), 18, "the oldest 20"),
    (
        PaymentInputs(open_count=2, overdue_count=2, oldest_overdue_days=34),
        24,
        "2 invoices overdue, the oldest 34 days",
    ),
    (PaymentInputs(open_count=1, failed_count=1), 9, "payment failed on 1 invoice, in dunning"),
    (PaymentInputs(open_count=1, action_required_count=1), 6, "waiting for the customer"),
    (
        PaymentInputs(open_count=2, overdue_count=2, oldest_overdue_days=34, failed_count=1),
        30,
        "in dunning",
    ),
    (PaymentInputs(open_count=1, uncollectible_count=1), 30, "uncollectible"),
]

ACCEPTANCE = [
    (AcceptanceInputs(), 0, "No yellow or red acceptance"),
    (AcceptanceInputs(worst="yellow"), 7, "Acceptance is yellow, a manager is on it"),
    (AcceptanceInputs(worst="yellow", unacknowledged_days=2), 7, "unacknowledged for 2 days"),
    (AcceptanceInputs(worst="red"), 14, "Acceptance is red, a manager is on it"),
    (AcceptanceInputs(worst="red", unacknowledged_days=9), 16, "red, unacknowledged for 9 days"),
    (AcceptanceInputs(worst="red", unacknowledged_days=30), 20, "unacknowledged for 30 days"),
]

CONTRACT = [
    (ContractInputs(), 0, "No contract yet"),
    (ContractInputs(has_any=True, in_force=True, days_to_expiry=200), 0, "acknowledged and in"),
    (
        ContractInputs(has_any=True, in_force=True, days_to_expiry=200, unacknowledged_days=5),
        3,
        "Contract sent 5 days ago, not acknowledged yet",
    ),
    (
        ContractInputs(has_any=True, in_force=True, days_to_expiry=200, unacknowledged_days=40),
        9,
        "sent 40 days ago",
    ),
    (ContractInputs(has_any=True, in_force=True, days_to_expiry=60), 2, "ends in 60 days"),
    (ContractInputs(has_any=True, in_force=True, days_to_expiry=12), 5, "ends in 12 days"),
    (
        ContractInputs(has_any=True, in_force=True, days_to_expiry=12, cancel_at_period_end=True),
        14,
        "set to cancel at the end of the period",
    ),
    (
        ContractInputs(has_any=True, ended_on=dt.date(2026, 3, 31)),
        15,
        "No contract in force, the last ended on 31 Mar 2026",
    ),
]

SERVICE = [
    (ServiceInputs(), 0, "No open requests"),
    (ServiceInputs(low=1), 1, "1 low request open"),
    (ServiceInputs(normal=1), 2, "1 normal request open"),
    (ServiceInputs(high=1), 5, "1 high request open"),
    (ServiceInputs(critical=1), 8, "1 critical request open"),
    (ServiceInputs(breaches_90_days=1), 3, "1 SLA breach in 90 days"),
    (
        ServiceInputs(critical=1, normal=2, breaches_90_days=1),
        15,
        "1 critical and 2 normal requests open; 1 SLA breach",
    ),
    (ServiceInputs(critical=3), 20, "3 critical requests open"),
]

CARD = [
    (CardInputs(), 0, "No card on file, nothing to pay"),
    (CardInputs(invoices_to_pay=2), 10, "No card on file, 2 invoices to pay"),
    (CardInputs(on_file=True, days_to_expiry=300), 0, "Card valid"),
    (CardInputs(on_file=True, days_to_expiry=30), 0, "Card valid"),
    (CardInputs(on_file=True, days_to_expiry=12), 6, "Card expires in 12 days"),
    (CardInputs(on_file=True, days_to_expiry=0), 6, "Card expires today"),
    (
        CardInputs(on_file=True, days_to_expiry=-3, expires_on=dt.date(2026, 11, 30)),
        10,
        "Card expired on 30 Nov 2026",
    ),
]

ENGAGEMENT = [
    (EngagementInputs(days_since_sign_in=2), 0, "Signed in within 30 days"),
    (EngagementInputs(days_since_sign_in=30), 0, "Signed in within 30 days"),
    (EngagementInputs(days_since_sign_in=45), 2, "Last signed in 45 days ago"),
    (EngagementInputs(days_since_sign_in=75), 3, "75 days ago"),
    (EngagementInputs(days_since_sign_in=120), 4, "120 days ago"),
    (EngagementInputs(days_since_joined=40), 2, "Never signed in, joined 40 days ago"),
    (EngagementInputs(days_since_sign_in=2, unread_notices=4), 1, "4 notices unread"),
    (EngagementInputs(days_since_sign_in=120, unread_notices=12), 5, "12 notices unread"),
]

TABLES = {
    Factor.PAYMENT: ("payment", PAYMENT),
    Factor.ACCEPTANCE: ("acceptance", ACCEPTANCE),
    Factor.CONTRACT: ("contract", CONTRACT),
    Factor.SERVICE: ("service", SERVICE),
    Factor.CARD: ("card", CARD),
    Factor.ENGAGEMENT: ("engagement", ENGAGEMENT),
}
CASES = [
    pytest.param(factor, attribute, inputs, cost, words, id=f"{factor}-{index}")
    for factor, (attribute, table) in TABLES.items()
    for index, (inputs, cost, words) in enumerate(table)
]


@pytest.mark.parametrize(("factor", "attribute", "inputs", "cost", "words"), CASES)
def test_each_rule_costs_its_documented_points_and_says_why(factor, attribute, inputs, cost, words):
    scored = factor_score(factor, HealthInputs(**{attribute: inputs}), DEFAULTS)
    assert (scored.cost, scored.weight) == (cost, DEFAULTS.weight_of(factor))
    assert words.lower() in scored.explanation.lower()
    # The score moves by exactly that factor's cost.
    assert health_score(HealthInputs(**{attribute: inputs}), DEFAULTS).score == 100 - cost


@pytest.mark.parametrize("factor", list(TABLES))
def test_no_factor_costs_more_than_its_weight(factor):
    attribute, table = TABLES[factor]
    heavy = HealthSettings(**{f"{factor}_weight": 7})
    for inputs, _cost, _words in table:
        assert 0 <= factor_score(factor, HealthInputs(**{attribute: inputs}), heavy).cost <= 7


@pytest.mark.parametrize(
    ("attribute", "better", "worse"),
    [
        (
            "payment",
            PaymentInputs(overdue_count=1, oldest_overdue_days=5),
            PaymentInputs(overdue_count=1, oldest_overdue_days=40),
        ),
        ("acceptance", AcceptanceInputs(worst="yellow"), AcceptanceInputs(worst="red")),
        (
            "acceptance",
            AcceptanceInputs(worst="red", unacknowledged_days=1),
            AcceptanceInputs(worst="red", unacknowledged_days=15),
        ),
        (
            "contract",
            ContractInputs(has_any=True, in_force=True, days_to_expiry=80),
            ContractInputs(has_any=True, in_force=True, days_to_expiry=20),
        ),
        ("service", ServiceInputs(normal=1), ServiceInputs(critical=1)),
        ("service", ServiceInputs(high=1), ServiceInputs(high=1, breaches_90_days=2)),
        (
            "card",
            CardInputs(on_file=True, days_to_expiry=12),
            CardInputs(on_file=True, days_to_expiry=-1),
        ),
        (
            "engagement",
            EngagementInputs(days_since_sign_in=40),
            EngagementInputs(days_since_sign_in=100),
        ),
    ],
)
def test_a_worse_state_never_scores_higher(attribute, better, worse):
    good = health_score(HealthInputs(**{attribute: better}), DEFAULTS).score
    bad = health_score(HealthInputs(**{attribute: worse}), DEFAULTS).score
    assert bad < good


def test_a_customer_with_nothing_wrong_scores_100_green():
    result = health_score(HealthInputs(), DEFAULTS)
    assert (result.score, result.band) == (100, Band.GREEN)
    assert [f.factor for f in result.factors] == list(Factor.values)
    assert result.costliest() == []


def test_the_worked_example_of_the_docs():
    """docs/health.md, example 1: late payer with an expiring card and a critical request."""
    inputs = HealthInputs(
        payment=PaymentInputs(
            open_count=2, overdue_count=2, oldest_overdue_days=34, failed_count=1
        ),
        service=ServiceInputs(critical=1, normal=2, breaches_90_days=1),
        card=CardInputs(on_file=True, days_to_expiry=12, invoices_to_pay=2),
        engagement=EngagementInputs(days_since_sign_in=45, unread_notices=4),
        contract=ContractInputs(has_any=True, in_force=True, days_to_expiry=200),
    )
    result = health_score(inputs, DEFAULTS)
    assert [f.cost for f in result.factors] == [30, 0, 0, 15, 6, 3]
    assert (result.score, result.band) == (46, Band.YELLOW)
    assert [f.factor for f in result.costliest()] == ["payment", "service", "card"]


def test_the_score_never_goes_below_zero_and_is_red():
    heavy = HealthSettings(payment_weight=100, card_weight=100)
    inputs = HealthInputs(
        payment=PaymentInputs(open_count=1, uncollectible_count=1),
        card=CardInputs(invoices_to_pay=1),
    )
    result = health_score(inputs, heavy)
    assert (result.score, result.band) == (0, Band.RED)


@pytest.mark.parametrize(
    ("score", "band"), [(39, "red"), (40, "yellow"), (69, "yellow"), (70, "green")]
)
def test_bands_follow_the_settings(score, band):
    assert DEFAULTS.band_of(score) == band


def test_costs_are_whole_points_rounded_half_up():
    assert cost_of(50, 5) == 3  # 2.5
    assert cost_of(40, 5) == 2
    assert cost_of(150, 10) == 10  # a share is capped at 100
