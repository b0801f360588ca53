"""On PostgreSQL, many relays sweep timers at once and people rate at once: a timer still fires
once, and a contract still has one live review."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.acceptance.models import Review, Timer
from onboarding.acceptance.requirements import requirement_add, requirement_rate
from onboarding.acceptance.timers import timers_fire_due
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import active_contract
from tests.concurrency import run_together


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_sweeps_at_once_fire_each_timer_once(require_postgres, sysops, manager):
    contracts = [active_contract(number=f"CTR-2026-0009{i:02d}") for i in range(10)]
    for contract in contracts:
        requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    later = timezone.now() + timedelta(hours=2)
    fired = run_together(4, lambda _i: timers_fire_due(now=later))
    assert sum(fired) == 10
    assert RiskEvent.objects.count() == 10
    assert Timer.objects.filter(state="fired").count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_ratings_leave_one_live_review(require_postgres, sysops, manager):
    contract = active_contract(number="CTR-2026-000950")
    requirements = [
        requirement_add(
            contract=contract, actor=sysops, title=f"R{i}", criteria="ok", rating="green"
        )
        for i in range(4)
    ]
    ratings = ["red", "yellow", "red", "yellow"]
    run_together(
        4,
        lambda i: requirement_rate(requirement=requirements[i], actor=sysops, rating=ratings[i]),
    )
    live = Review.objects.filter(contract=contract, closed_at__isnull=True)
    assert live.count() == 1
    assert live.get().rating == "red"
