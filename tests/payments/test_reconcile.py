import datetime as dt

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.core.money import Money
from onboarding.notifications.models import OutboxMessage
from onboarding.payments.charges import payment_collect
from onboarding.payments.models import PaymentAttempt, PaymentStatus, SandboxCharge
from onboarding.payments.reconcile import PAYMENT_SETTLED_TOPIC, payment_reconcile_unknown
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from onboarding.payments.tasks import payments_reconcile_unknown
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer(customer):
    card_on_file(customer.customer)
    return customer.customer


def collect(payer, key: str = "inv-3-try-1") -> PaymentAttempt:
    return payment_collect(
        customer=payer,
        amount=Money(4900, "EUR"),
        idempotency_key=key,
        description="Invoice INV-2026-000003",
        reference="INV-2026-000003",
    )


def later(seconds: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_a_charge_whose_answer_was_lost_is_found_and_settled_as_succeeded(payer):
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    attempt = collect(payer)
    assert attempt.status == PaymentStatus.UNKNOWN
    assert payment_reconcile_unknown(now=later(3600)) == 1
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.SUCCEEDED
    assert attempt.gateway_charge_id == SandboxCharge.objects.get().charge_id
    assert attempt.next_reconcile_at is None
    assert AuditEntry.objects.filter(action="payment.succeeded", object_id=attempt.pk).exists()


def test_a_charge_the_gateway_never_saw_is_settled_as_failed_once_old_enough(payer):
    sandbox_fault_arm(operation="charge", kind="timeout")
    attempt = collect(payer)
    assert payment_reconcile_unknown(now=later(3600)) == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.code) == (PaymentStatus.FAILED, "not_received")
    assert "nothing was charged" in attempt.message
    assert not SandboxCharge.objects.exists()  # asked, never re-sent


def test_a_charge_not_found_soon_after_sending_stays_unknown(payer, settings):
    settings.PAYMENT_RECONCILE_BASE_SECONDS = 0
    sandbox_fault_arm(operation="charge", kind="timeout")
    attempt = collect(payer)
    assert payment_reconcile_unknown(now=later(1)) == 0
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.UNKNOWN
    assert attempt.reconcile_attempts == 1


def test_an_attempt_not_yet_due_is_not_asked_about(payer):
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    attempt = collect(payer)
    assert payment_reconcile_unknown(now=timezone.now()) == 0
    attempt.refresh_from_db()
    assert (attempt.status, attempt.reconcile_attempts) == (PaymentStatus.UNKNOWN, 0)


def test_a_pending_attempt_left_by_a_crash_is_settled_from_the_gateway(payer):
    # The process died after the gateway charged but before the answer was recorded.
    attempt = PaymentAttempt.objects.create(
        customer=payer,
        idempotency_key="crashed-1",
        amount_minor=4900,
        currency="EUR",
        gateway="sandbox",
        next_reconcile_at=timezone.now(),
    )
    SandboxCharge.objects.create(
        charge_id="ch_sbx_crash",
        idempotency_key="crashed-1",
        token="tok",
        amount_minor=4900,
        currency="EUR",
        status="succeeded",
    )
    assert payment_reconcile_unknown(now=later(1)) == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.gateway_charge_id) == ("succeeded", "ch_sbx_crash")


def test_still_unknown_after_its_schedule_alerts_an_admin_once(payer, settings):
    settings.PAYMENT_RECONCILE_MAX_TRIES = 3
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    sandbox_fault_arm(operation="lookup", kind="timeout", times=4)
    attempt = collect(payer)
    for hours in range(1, 5):
        payment_reconcile_unknown(now=later(hours * 3600 * 24))
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.UNKNOWN
    assert attempt.reconcile_attempts == 4
    alert = AdminAlert.objects.get(reason="payment_unknown")
    assert alert.count == 1
    assert attempt.idempotency_key in alert.message


def test_the_backoff_doubles_between_questions(payer, settings):
    settings.PAYMENT_RECONCILE_BASE_SECONDS = 60
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    sandbox_fault_arm(operation="lookup", kind="timeout", times=2)
    attempt = collect(payer)
    first = later(3600)
    payment_reconcile_unknown(now=first)
    attempt.refresh_from_db()
    assert attempt.next_reconcile_at == first + dt.timedelta(seconds=60)
    second = attempt.next_reconcile_at
    payment_reconcile_unknown(now=second)
    attempt.refresh_from_db()
    assert attempt.next_reconcile_at == second + dt.timedelta(seconds=120)


def test_settling_twice_changes_nothing_the_second_time(payer):
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    attempt = collect(payer)
    assert payment_reconcile_unknown(now=later(3600)) == 1
    assert payment_reconcile_unknown(now=later(7200)) == 0
    assert AuditEntry.objects.filter(action="payment.succeeded", object_id=attempt.pk).count() == 1


def test_the_same_key_after_reconciling_returns_the_settled_attempt(payer):
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    collect(payer)
    payment_reconcile_unknown(now=later(3600))
    again = collect(payer)
    assert again.status == PaymentStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1


def test_both_payment_tasks_are_scheduled(settings):
    assert "onboarding.payments.tasks.payments_reconcile_unknown" in settings.WORKER_PERIODIC_TASKS
    assert "onboarding.payments.tasks.cards_remind_expiring" in settings.WORKER_PERIODIC_TASKS


def test_the_periodic_task_settles_what_is_due(payer, settings):
    settings.PAYMENT_LOOKUP_GRACE_SECONDS = 0
    settings.PAYMENT_RECONCILE_BASE_SECONDS = 0
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    attempt = collect(payer)
    assert payments_reconcile_unknown.call() == 1
    attempt.refresh_from_db()
    assert attempt.status == PaymentStatus.SUCCEEDED


def test_a_settle_publishes_payment_settled_once_with_the_invoice_it_charged(payer):
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    attempt = collect(payer)
    payment_reconcile_unknown(now=later(3600))
    payment_reconcile_unknown(now=later(7200))  # settled already: nothing more to say

    event = OutboxMessage.objects.get(topic=PAYMENT_SETTLED_TOPIC)
    assert event.payload == {
        "attempt_id": attempt.pk,
        "invoice_reference": "INV-2026-000003",
        "idempotency_key": "inv-3-try-1",
        "status": PaymentStatus.SUCCEEDED,
        "code": "",
    }


def test_an_answer_still_unknown_publishes_nothing(payer):
    sandbox_fault_arm(operation="charge", kind="timeout_after_charge")
    sandbox_fault_arm(operation="lookup", kind="timeout")
    collect(payer)
    assert payment_reconcile_unknown(now=later(3600)) == 0
    assert not OutboxMessage.objects.filter(topic=PAYMENT_SETTLED_TOPIC).exists()
