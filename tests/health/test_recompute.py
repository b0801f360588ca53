"""customer_health_recompute: the current score, history only on change, the trend, the band
change audited, and a fall into red raising its risk event and telling managers once."""

import datetime as dt

import pytest
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.billing.models import InvoiceStatus
from onboarding.core.errors import DomainError
from onboarding.health.models import Band, CustomerHealth, CustomerHealthSnapshot
from onboarding.health.services import customer_health_recompute
from onboarding.notifications.models import Notification
from onboarding.risk.models import RiskEvent, RiskType
from tests.concurrency import run_together
from tests.health.conftest import overdue_invoice, strict_bands

pytestmark = pytest.mark.django_db


def recompute(contract, now=None):
    return customer_health_recompute(customer_id=contract.customer_id, now=now)


def test_the_first_score_is_kept_with_its_explained_factors_and_one_snapshot(contract):
    done = recompute(contract)
    health = CustomerHealth.objects.get(pk=contract.customer_id)
    assert (health.score, health.band, health.trend) == (100, Band.GREEN, 0)
    assert [f["factor"] for f in health.factors] == [
        "payment",
        "acceptance",
        "contract",
        "service",
        "card",
        "engagement",
    ]
    assert health.review_at is not None and health.review_at > health.computed_at
    assert done.previous_band is None and done.snapshot is not None
    assert CustomerHealthSnapshot.objects.filter(customer_id=contract.customer_id).count() == 1
    entry = AuditEntry.objects.get(action="health.band_changed")
    assert entry.customer_id == contract.customer_id
    assert entry.changes["band"] == [None, "green"]


def test_recomputing_without_a_change_writes_no_history_and_no_audit(contract):
    recompute(contract)
    again = recompute(contract)
    assert again.snapshot is None
    assert CustomerHealthSnapshot.objects.count() == 1
    assert AuditEntry.objects.filter(action="health.band_changed").count() == 1


def test_a_factor_change_writes_a_snapshot_and_a_band_change_is_audited(contract):
    recompute(contract)
    overdue_invoice(contract, days_late=34)  # payment -30, card -10: 60, yellow
    done = recompute(contract)
    assert (done.health.score, done.health.band) == (60, Band.YELLOW)
    assert done.previous_score == 100
    assert CustomerHealthSnapshot.objects.count() == 2
    changes = AuditEntry.objects.filter(action="health.band_changed").order_by("id").last().changes
    assert changes["band"] == ["green", "yellow"]
    assert changes["score"] == 60
    assert changes["costliest"] == [
        {
            "factor": "payment",
            "cost": 30,
            "explanation": "1 invoice overdue by 34 days; payment failed on 1 invoice, in dunning",
        },
        {"factor": "card", "cost": 10, "explanation": "No card on file, 1 invoice to pay"},
    ]
    assert [f["factor"] for f in done.health.costliest()] == ["payment", "card"]


def test_the_trend_is_the_score_now_minus_the_score_30_days_before(contract):
    now = timezone.now()
    recompute(contract, now - dt.timedelta(days=40))  # 100
    overdue_invoice(contract, days_late=34)
    done = recompute(contract, now)
    assert done.health.score == 60
    assert done.health.trend == -40
    # Without history that old, the trend is 0.
    CustomerHealthSnapshot.objects.filter(computed_at__lt=now - dt.timedelta(days=30)).delete()
    assert recompute(contract, now + dt.timedelta(minutes=1)).health.trend == 0


def test_falling_into_red_raises_one_risk_event_and_tells_each_manager_once(contract, manager):
    strict_bands()
    recompute(contract)  # 100: green
    invoice = overdue_invoice(contract, days_late=34)
    fell = recompute(contract)
    assert fell.crossed_into_red and fell.health.band == Band.RED
    event = RiskEvent.objects.get(type=RiskType.HEALTH_RED)
    assert event.contract == contract and event.level == "red"
    assert event.reason.startswith("Health 60 (red). Payment -30: 1 invoice overdue by 34 days")
    assert "Card -10: No card on file, 1 invoice to pay" in event.reason
    notice = Notification.objects.get(kind="health.red", recipient=manager)
    assert f"/staff/customers/{contract.customer_id}/" in notice.body_text
    # Still red: no second event, no second notice.
    assert not recompute(contract).crossed_into_red
    recompute(contract, timezone.now() + dt.timedelta(hours=1))
    assert RiskEvent.objects.filter(type=RiskType.HEALTH_RED).count() == 1
    assert Notification.objects.filter(kind="health.red").count() == 1
    # Out of red, then in again: a new crossing, a new event.
    invoice.status = InvoiceStatus.PAID
    invoice.save(update_fields=["status"])
    assert recompute(contract).health.band == Band.GREEN
    overdue_invoice(contract, days_late=3, n=2)
    assert recompute(contract).crossed_into_red
    assert RiskEvent.objects.filter(type=RiskType.HEALTH_RED).count() == 2


def test_a_first_score_already_red_is_a_crossing(contract, manager):
    strict_bands()
    overdue_invoice(contract, days_late=34)
    assert recompute(contract).crossed_into_red
    assert RiskEvent.objects.filter(type=RiskType.HEALTH_RED).count() == 1


def test_a_customer_without_a_contract_falling_into_red_tells_managers_only(customer, manager):
    strict_bands()
    user = customer
    user.date_joined = timezone.now() - dt.timedelta(days=200)
    user.save(update_fields=["date_joined"])  # never signed in: engagement -4
    assert customer_health_recompute(customer_id=user.pk).crossed_into_red
    assert not RiskEvent.objects.exists()
    assert Notification.objects.filter(kind="health.red", recipient=manager).count() == 1


def test_an_unknown_customer_is_refused_with_a_clear_message(db):
    with pytest.raises(DomainError, match="no customer with id 987654"):
        customer_health_recompute(customer_id=987654)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_scoring_the_same_customer_at_once_raise_one_risk_event(
    require_postgres, contract, manager
):
    strict_bands()
    overdue_invoice(contract, days_late=34)
    now = timezone.now()
    results = run_together(
        4, lambda _i: customer_health_recompute(customer_id=contract.customer_id, now=now)
    )
    assert sum(r.crossed_into_red for r in results) == 1
    assert CustomerHealth.objects.filter(pk=contract.customer_id).count() == 1
    assert CustomerHealthSnapshot.objects.filter(customer_id=contract.customer_id).count() == 1
    assert RiskEvent.objects.filter(type=RiskType.HEALTH_RED).count() == 1
    assert Notification.objects.filter(kind="health.red").count() == 1
    assert AuditEntry.objects.filter(action="health.band_changed").count() == 1


def test_the_fall_into_red_is_on_the_risk_board_for_managers(contract, manager_client):
    from django.urls import reverse

    strict_bands()
    overdue_invoice(contract, days_late=34)
    recompute(contract)
    page = manager_client.get(reverse("risk:board")).content.decode()
    assert "Customer health fell into red" in page
    assert "Health 60 (red)" in page


def test_the_managers_queue_lists_real_customers_worst_first(contract):
    from onboarding.accounts.models import TestClock
    from onboarding.health.selectors import customer_health_queue
    from tests.acceptance.conftest import active_contract

    healthy = active_contract(number="CTR-2026-000501")
    on_clock = active_contract(number="CTR-2026-000502")
    on_clock.customer.test_clock = TestClock.objects.create(name="Q", frozen_time=timezone.now())
    on_clock.customer.save(update_fields=["test_clock"])
    overdue_invoice(contract, days_late=34)
    for each in (contract, healthy, on_clock):
        recompute(each)
    queue = list(customer_health_queue())
    assert [h.customer_id for h in queue] == [contract.customer_id, healthy.customer_id]
    assert [h.customer_id for h in customer_health_queue(bands=("yellow",))] == [
        contract.customer_id
    ]
