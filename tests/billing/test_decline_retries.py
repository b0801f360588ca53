"""Retries follow the decline code: a hard decline (lost, stolen, expired, closed card) stops
dunning and asks the customer for a new card at once, and the new card is charged at once; a soft
one keeps the schedule, at the hour the customer's payments usually succeed."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.dunning import invoice_retries_run, invoices_retry_on_new_card
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import (
    AttemptSource,
    Invoice,
    InvoiceStatus,
    PaymentState,
    RetryStop,
    SubscriptionStatus,
)
from onboarding.billing.retry_timing import preferred_hours, retry_time, usual_hour
from onboarding.core.money import Money
from onboarding.notifications.models import Channel, Notification
from onboarding.payments.charges import payment_collect
from onboarding.payments.methods import card_refresh_from_network
from onboarding.payments.models import PaymentAttempt, PaymentMethod, SandboxCard
from onboarding.payments.sandbox_faults import sandbox_fault_arm
from tests.billing.conftest import buy, deliver_events, ready_customer, today
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db

LOST_CARD = "4000000000009987"
STOLEN_CARD = "4000000000009979"


def _first_invoice(plan, user, card: str) -> Invoice:
    buy(ready_customer(user, card=card), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.select_related("customer__user", "subscription").get()


@pytest.fixture
def hard_declined(plan, customer) -> Invoice:
    """A first invoice declined because the card on file was reported lost."""
    return _first_invoice(plan, customer, LOST_CARD)


# --- Hard declines ----------------------------------------------------------------------------


def test_a_hard_decline_books_no_retry_and_says_why(hard_declined):
    assert (hard_declined.status, hard_declined.payment_state) == (
        InvoiceStatus.OPEN,
        PaymentState.DECLINED,
    )
    assert hard_declined.last_payment_code == "lost_card"
    assert hard_declined.next_retry_at is None
    assert hard_declined.retry_stopped == RetryStop.HARD_DECLINE


def test_the_api_says_why_no_retry_is_booked(hard_declined, client):
    client.force_login(hard_declined.customer.user)
    body = client.get(f"/api/v1/me/invoices/{hard_declined.pk}").json()
    assert (body["retry_stopped"], body["next_retry_at"]) == ("hard_decline", None)
    (listed,) = client.get("/api/v1/me/invoices").json()
    assert listed["retry_stopped"] == "hard_decline"


def test_a_hard_decline_is_audited_as_retries_stopped(hard_declined):
    stopped = AuditEntry.objects.get(action="invoice.retries_stopped")
    assert stopped.object_id == str(hard_declined.pk)
    assert "lost_card" in stopped.message
    failed = AuditEntry.objects.get(action="invoice.payment_failed")
    assert failed.changes["decline"] == "hard"
    assert failed.changes["next_retry_at"] is None


def test_dunning_never_charges_a_hard_declined_card_again(hard_declined):
    tally = invoice_retries_run(now=hard_declined.first_failed_at + timedelta(days=1, minutes=1))
    assert tally.failed == 0
    assert PaymentAttempt.objects.count() == 1


def test_the_customer_is_asked_at_once_for_a_new_card_in_their_inbox(plan, customer):
    customer.preferred_inbox = Channel.IN_APP
    customer.save(update_fields=["preferred_inbox"])
    invoice = _first_invoice(plan, customer, STOLEN_CARD)

    invoice_follow_up(invoice_id=invoice.pk)

    notice = Notification.objects.get(kind="payment_failed")
    assert notice.channels == [Channel.IN_APP]
    assert "add a new card" in notice.subject
    assert "cannot be used again" in notice.body_text
    assert "/account/card/" in notice.body_text
    assert "try again on" not in notice.body_text
    alert = AdminAlert.objects.get(reason="payment_incomplete")
    assert "hard decline" in alert.message


def test_an_email_customer_reads_the_hard_decline_in_the_invoice_notice(hard_declined):
    invoice_follow_up(invoice_id=hard_declined.pk)
    notice = Notification.objects.get(kind="invoice_issued")
    assert "cannot be used again" in notice.body_text
    assert "Please add a new card" in notice.body_text


def test_a_new_card_charges_the_hard_declined_invoice_at_once(
    hard_declined, django_capture_on_commit_callbacks
):
    card_on_file(hard_declined.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events()  # payment_method.changed reaches billing, which charges after commit

    hard_declined.refresh_from_db()
    assert (hard_declined.status, hard_declined.attempt_count) == (InvoiceStatus.PAID, 2)
    assert hard_declined.attempt_source == AttemptSource.NEW_CARD
    assert hard_declined.retry_stopped == RetryStop.NONE
    paid_with = PaymentAttempt.objects.get(pk=hard_declined.paid_attempt_id)
    assert paid_with.payment_method.last4 == "4242"
    assert AuditEntry.objects.filter(action="invoice.new_card_retry").count() == 1


def test_once_paid_on_the_new_card_another_card_charges_nothing_more(
    hard_declined, django_capture_on_commit_callbacks
):
    card_on_file(hard_declined.customer, GOOD_CARD, password=DEFAULT_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events()
    assert invoices_retry_on_new_card(customer_id=hard_declined.customer_id) == []
    assert PaymentAttempt.objects.filter(status="succeeded").count() == 1


def test_a_new_card_that_is_declined_softly_goes_back_on_the_schedule(
    hard_declined, django_capture_on_commit_callbacks
):
    card_on_file(hard_declined.customer, "4000000000009995", password=DEFAULT_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events()

    hard_declined.refresh_from_db()
    assert hard_declined.last_payment_code == "insufficient_funds"
    assert hard_declined.retry_stopped == RetryStop.NONE
    assert hard_declined.next_retry_at is not None


def test_the_card_networks_renewal_of_an_expired_card_charges_the_invoice_at_once(
    plan, customer, django_capture_on_commit_callbacks
):
    payer = ready_customer(customer)
    method = PaymentMethod.objects.get(customer=payer)
    past, renewed = timezone.now().year - 1, timezone.now().year + 3
    # The card expired while on file: the provider's side and ours both say so.
    SandboxCard.objects.filter(token=method.token).update(exp_year=past)
    PaymentMethod.objects.filter(pk=method.pk).update(exp_year=past)
    buy(payer, plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    assert (invoice.last_payment_code, invoice.retry_stopped) == (
        "expired_card",
        RetryStop.HARD_DECLINE,
    )

    # The network renews it (Stripe's payment_method.automatically_updated, as the webhook
    # applies it); the provider's side has the new expiry too.
    SandboxCard.objects.filter(token=method.token).update(exp_year=renewed)
    card_refresh_from_network(
        gateway="sandbox",
        token=method.token,
        brand=method.brand,
        last4=method.last4,
        exp_month=method.exp_month,
        exp_year=renewed,
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver_events()

    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_source) == (InvoiceStatus.PAID, AttemptSource.NEW_CARD)


def test_without_a_new_card_the_invoice_is_uncollectible_when_the_schedule_ends(
    hard_declined, settings
):
    settings.BILLING_DUNNING_DAYS = [1, 3]
    before = invoice_retries_run(now=hard_declined.first_failed_at + timedelta(days=2))
    hard_declined.refresh_from_db()
    assert (before.uncollectible, hard_declined.status) == (0, InvoiceStatus.OPEN)

    after = invoice_retries_run(now=hard_declined.first_failed_at + timedelta(days=3, minutes=1))

    hard_declined.refresh_from_db()
    assert (after.uncollectible, hard_declined.status) == (1, InvoiceStatus.UNCOLLECTIBLE)
    hard_declined.subscription.refresh_from_db()
    assert hard_declined.subscription.status == SubscriptionStatus.PAST_DUE
    assert PaymentAttempt.objects.count() == 1  # the lost card was never charged again
    assert "hard-declined" in AuditEntry.objects.get(action="invoice.uncollectible").message


def test_a_closed_card_do_not_honor_with_do_not_try_again_stops_the_retries(plan, customer):
    buy(ready_customer(customer), plan)
    sandbox_fault_arm(operation="charge", kind="do_not_honor/do_not_try_again")
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    assert (invoice.next_retry_at, invoice.retry_stopped) == (None, RetryStop.HARD_DECLINE)


# --- Soft declines ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["insufficient_funds", "try_again_later", "do_not_honor"])
def test_a_soft_decline_keeps_the_schedule(plan, customer, code):
    buy(ready_customer(customer), plan)
    sandbox_fault_arm(operation="charge", kind=code)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    assert invoice.retry_stopped == RetryStop.NONE
    # No successful payment yet: the schedule's own time.
    assert invoice.next_retry_at == invoice.first_failed_at + timedelta(days=1)
    failed = AuditEntry.objects.get(action="invoice.payment_failed")
    assert failed.changes["decline"] == "soft"
    assert failed.changes["next_retry_at"] == invoice.next_retry_at.isoformat()


def test_a_soft_decline_retries_at_the_hour_the_customers_payments_usually_succeed(plan, customer):
    payer = ready_customer(customer)
    for day in (40, 70):  # two earlier payments that went through at 06:xx UTC
        attempt = payment_collect(
            customer=payer,
            amount=Money(1000, "EUR"),
            idempotency_key=f"earlier:{day}",
            description="earlier",
            reference="",
        )
        moment = (timezone.now() - timedelta(days=day)).replace(hour=6, minute=17)
        PaymentAttempt.objects.filter(pk=attempt.pk).update(created_at=moment)
    buy(payer, plan)
    sandbox_fault_arm(operation="charge", kind="insufficient_funds")
    bill_run_execute(run_date=today())

    invoice = Invoice.objects.get()
    scheduled = invoice.first_failed_at + timedelta(days=1)
    assert invoice.next_retry_at == scheduled.astimezone(UTC).replace(
        hour=6, minute=0, second=0, microsecond=0
    )
    failed = AuditEntry.objects.get(action="invoice.payment_failed")
    assert failed.changes["usual_hour_utc"] == 6


# --- The rule, with `now` passed ----------------------------------------------------------------


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_the_usual_hour_is_the_most_frequent_and_a_tie_goes_to_the_most_recent():
    assert usual_hour([_at(20, 9, 5), _at(13, 14), _at(6, 9, 40)]) == 9
    assert usual_hour([_at(20, 18), _at(13, 9), _at(6, 18), _at(1, 9)]) == 18


def test_the_retry_moves_to_the_usual_hour_on_the_schedules_day():
    now = _at(10, 15)
    assert retry_time(scheduled=_at(11, 15), hour=8, now=now) == _at(11, 8)
    assert retry_time(scheduled=_at(11, 15), hour=22, now=now) == _at(11, 22)


def test_a_usual_hour_already_past_or_unknown_keeps_the_schedules_time():
    assert retry_time(scheduled=_at(11, 15), hour=8, now=_at(11, 9)) == _at(11, 15)
    assert retry_time(scheduled=_at(11, 15), hour=None, now=_at(10, 15)) == _at(11, 15)


def test_payments_older_than_a_year_say_nothing_of_the_usual_hour(customer):
    payer = ready_customer(customer)
    now = timezone.now()
    attempt = payment_collect(
        customer=payer,
        amount=Money(1000, "EUR"),
        idempotency_key="old",
        description="old",
        reference="",
    )
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=(now - timedelta(days=400)).replace(hour=3)
    )
    assert preferred_hours(customer_ids={payer.pk}, now=now) == {}
