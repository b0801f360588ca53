"""The safety rule of test clocks: a clock's run touches only its own customers, and real runs
never touch a test customer (onboarding/core/clock.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.accounts.models import Customer, TestClock, TestClockStatus
from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_record
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import BillRun, Invoice, Subscription
from onboarding.core import clock
from onboarding.core.money import Money
from onboarding.journey.selectors import journey_funnel
from onboarding.payments.charges import payment_collect
from onboarding.payments.models import PaymentStatus
from onboarding.payments.reconcile import payment_reconcile_unknown
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from onboarding.testclocks.advancing import clock_run
from onboarding.testclocks.services import (
    ClockCustomerIn,
    clock_advance,
    clock_create,
    clock_customer_create,
)
from onboarding.worker.services import task_enqueue_once
from tests.billing.conftest import bought, ready_customer
from tests.factories import UserFactory
from tests.probes.tasks import worker_probe
from tests.worker.conftest import run_worker_in_process


def _advance(admin, test_clock: TestClock, **how) -> TestClock:
    clock_advance(actor=admin, clock_id=test_clock.pk, **how)
    return clock_run(clock_id=test_clock.pk)


def test_now_is_real_time_outside_a_simulation_and_the_clock_inside():
    moment = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
    before = timezone.now()
    assert clock.now() >= before
    with clock.simulated(7, moment):
        assert clock.now() == moment
        assert clock.current_clock_id() == 7
        assert clock.customer_scope("customer") == clock.Q(customer__test_clock_id=7)
    assert clock.current() is None
    assert clock.customer_scope("customer") == clock.Q(customer__test_clock__isnull=True)


def test_audit_entries_under_a_clock_carry_the_simulated_time(admin):
    test_clock = clock_create(actor=admin, name="stamps")
    moment = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    with clock.simulated(test_clock.pk, moment):
        entry = audit_record(action="probe.simulated", changes={"x": 1})
    real = audit_record(action="probe.real", changes={"x": 1})
    entry.refresh_from_db()
    assert entry.changes == {
        "x": 1,
        "simulated_at": moment.isoformat(),
        "test_clock_id": test_clock.pk,
    }
    assert abs(entry.occurred_at - timezone.now()) < timedelta(minutes=5)  # real time
    assert AuditEntry.objects.get(pk=real.pk).changes == {"x": 1}


def test_the_real_bill_run_leaves_a_due_test_customer_alone(admin, plan):
    test_clock = clock_create(actor=admin, name="isolated")
    anchor = timezone.now() - timedelta(days=2)
    real = ready_customer()
    fake = ready_customer()
    Customer.objects.filter(pk=fake.pk).update(test_clock=test_clock)
    real_subscription = bought(real, plan, anchor=anchor)
    fake_subscription = bought(fake, plan, anchor=anchor)

    bill_run_execute(run_date=timezone.now().date())

    assert Invoice.objects.filter(subscription=real_subscription).count() == 1
    assert not Invoice.objects.filter(subscription=fake_subscription).exists()
    fake_subscription.refresh_from_db()
    assert fake_subscription.next_invoice_at == anchor


def test_advancing_a_clock_past_a_real_customers_renewal_leaves_it_alone(admin, plan):
    real = ready_customer()
    due = timezone.now() + timedelta(days=20)
    real_subscription = bought(real, plan, anchor=due)
    test_clock = clock_create(actor=admin, name="a year on")
    clock_customer_create(
        actor=admin,
        clock_id=test_clock.pk,
        data=ClockCustomerIn(email="clock-one@example.test", plan_slug=plan.slug, cycle="monthly"),
    )

    test_clock = _advance(admin, test_clock, amount=2, unit="months")

    assert test_clock.status == TestClockStatus.READY
    assert not Invoice.objects.filter(subscription=real_subscription).exists()
    real_subscription.refresh_from_db()
    assert real_subscription.next_invoice_at == due.replace(microsecond=due.microsecond)
    # The clock's own customer was renewed twice on its way (3 invoices: first + 2 renewals).
    fake = Subscription.objects.get(customer__test_clock=test_clock)
    assert Invoice.objects.filter(subscription=fake).count() == 3
    # The business's bill-run records are the real days' only.
    assert not BillRun.objects.filter(run_date__gt=timezone.now().date()).exists()


@pytest.mark.django_db(transaction=True)
def test_work_queued_under_a_clock_waits_on_its_own_queue_and_real_workers_leave_it(admin):
    test_clock = clock_create(actor=admin, name="queue")
    with clock.simulated(test_clock.pk, test_clock.frozen_time + timedelta(days=3)):
        result = task_enqueue_once(worker_probe, key="clock-queue-probe", kwargs={"key": "q"})
    run_worker_in_process()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.queue_name == f"testclock-{test_clock.pk}"
    assert row.status == TaskResultStatus.READY


def test_the_onboarding_funnel_counts_real_customers_only(admin):
    UserFactory()
    test_clock = clock_create(actor=admin, name="funnel")
    Customer.objects.filter(pk=UserFactory().pk).update(test_clock=test_clock)

    first = journey_funnel()[0]

    assert (first.reached, first.standing) == (1, 1)


def test_a_test_customers_unknown_charge_is_settled_by_its_clock_not_by_the_real_reconciler(
    admin,
):
    test_clock = clock_create(actor=admin, name="lost answers")
    real, fake = ready_customer(), ready_customer()
    Customer.objects.filter(pk=fake.pk).update(test_clock=test_clock)
    attempts = {}
    for who in (real, fake):
        sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
        attempts[who.pk] = payment_collect(
            customer=who,
            amount=Money(4900, "EUR"),
            idempotency_key=f"lost-{who.pk}",
            description="A charge whose answer is lost",
            reference=f"lost-{who.pk}",
        )
        assert attempts[who.pk].status == PaymentStatus.UNKNOWN

    assert payment_reconcile_unknown(now=timezone.now() + timedelta(hours=1)) == 1
    for attempt in attempts.values():
        attempt.refresh_from_db()
    assert attempts[real.pk].status == PaymentStatus.SUCCEEDED
    assert attempts[fake.pk].status == PaymentStatus.UNKNOWN

    _advance(admin, test_clock, amount=2, unit="hours")
    attempts[fake.pk].refresh_from_db()
    assert attempts[fake.pk].status == PaymentStatus.SUCCEEDED
    # Settled at the clock's moment, not the real one.
    assert attempts[fake.pk].settled_at > timezone.now() + timedelta(minutes=90)
