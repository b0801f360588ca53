"""The bill run: invoice and charge every subscription due on a day, in batches.

One batch is two steps. Issue, in one transaction: claim up to `batch_size` due subscriptions
(SELECT ... FOR UPDATE SKIP LOCKED, so several processes share a run on PostgreSQL), move each
to its next period, and create the period's invoice with its line, number and audit entry; the
invoice's first attempt is reserved in the same transaction. Charge: send the reserved attempts
and apply the answers (charging.py). Period and invoice are written together, and an invoice is
unique per (subscription, period start), so re-running a day, or running it again after a
crash, invoices nothing twice; invoices a dead process left unsent are sent at the end of the
next run with their reserved keys. PDFs and notices are left to the workers (followups.py).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from onboarding.alerts.services import admin_alert_raise
from onboarding.billing.audit_rows import AuditRow, audit_rows_write
from onboarding.billing.bulk import rows_update
from onboarding.billing.charging import (
    INVOICE_TYPE,
    SUBSCRIPTION_TYPE,
    Tally,
    charge_of,
    charges_run,
    invoices_processing_resume,
)
from onboarding.billing.models import (
    LIVE_STATUSES,
    AttemptSource,
    BillRun,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentState,
    Subscription,
    SubscriptionStatus,
)
from onboarding.billing.numbering import INVOICE_SERIES, numbers_take
from onboarding.billing.periods import end_of_day, period_end
from onboarding.catalog.models import BillingCycle, PlanPrice
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete

logger = logging.getLogger(__name__)

_SUBSCRIPTION_PERIOD_FIELDS = [
    "current_period_start",
    "current_period_end",
    "next_invoice_at",
    "cycle",
    "pending_cycle",
    "amount_minor",
]


@dataclass
class BillRunProgress:
    run_date: date
    issued: int = 0
    paid: int = 0
    failed: int = 0
    pending: int = 0
    errors: int = 0
    cancelled: int = 0
    resumed: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.issued / self.elapsed if self.elapsed > 0 else 0.0

    def line(self) -> str:
        return (
            f"bill run {self.run_date}: {self.issued} invoiced, {self.paid} paid, "
            f"{self.failed} failed, {self.pending} pending, {self.errors} errors, "
            f"{self.cancelled} cancelled, {self.elapsed:.1f}s ({self.rate:.0f} invoices/s)"
        )


@dataclass
class _Issued:
    claimed: int = 0
    cancelled: int = 0
    invoices: list[Invoice] = field(default_factory=list)


def issue_date_for(run_date: date) -> date:
    """A run for a past day issues today (invoices are never backdated); a future day, that day."""
    return max(run_date, timezone.now().date())


def _prices(plan_ids: set[int]) -> dict[tuple[int, str], int]:
    return {
        (plan_id, cycle): amount
        for plan_id, cycle, amount in PlanPrice.objects.filter(plan_id__in=plan_ids).values_list(
            "plan_id", "cycle", "amount_minor"
        )
    }


def _line_description(subscription: Subscription, cycle: str) -> str:
    plan = subscription.plan
    return f"{plan.product.name} · {plan.name}, {BillingCycle(cycle).label.lower()} support"


def _invoice_for(
    subscription: Subscription, *, start: datetime, end: datetime, issue_date: date, now: datetime
) -> Invoice:
    customer = subscription.customer
    price, tax = subscription.price, subscription.tax
    total = price + tax
    charged = total.amount_minor > 0
    return Invoice(
        customer=customer,
        subscription=subscription,
        status=InvoiceStatus.OPEN if charged else InvoiceStatus.PAID,
        series=INVOICE_SERIES,
        currency=subscription.currency,
        tax_rate_bp=subscription.tax_rate_bp,
        subtotal_minor=price.amount_minor,
        tax_minor=tax.amount_minor,
        total_minor=total.amount_minor,
        period_start=start,
        period_end=end,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=settings.BILLING_PAYMENT_TERMS_DAYS),
        finalized_at=now,
        bill_to_name=customer.display_name[:200],
        bill_to_address="\n".join(customer.billing_address_lines),
        bill_to_email=customer.user.email,
        customer_reference=customer.reference,
        is_first=subscription.current_period_end is None,
        payment_state=PaymentState.PROCESSING if charged else PaymentState.NONE,
        attempt_count=1 if charged else 0,
        attempt_source=AttemptSource.ISSUE if charged else "",
        attempt_reserved_at=now if charged else None,
        paid_at=None if charged else now,
        followup_due=True,
        created_at=now,
    )


def _issue_batch(
    *, cutoff: datetime, issue_date: date, batch_size: int, only: list[int] | None = None
) -> _Issued:
    """Claim due subscriptions, advance each a period and invoice it: one transaction."""
    now = timezone.now()
    issued = _Issued()
    with transaction.atomic():
        due = Subscription.objects.filter(status__in=LIVE_STATUSES, next_invoice_at__lt=cutoff)
        if only is not None:
            due = due.filter(pk__in=only)
        subscriptions = list(
            due.select_related("customer__user", "plan__product")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_invoice_at", "pk")[:batch_size]
        )
        issued.claimed = len(subscriptions)
        if not subscriptions:
            return issued
        prices = _prices({s.plan_id for s in subscriptions})
        invoiced = set(
            Invoice.objects.filter(
                subscription_id__in=[s.pk for s in subscriptions],
                period_start__in={s.next_invoice_at for s in subscriptions},
            ).values_list("subscription_id", "period_start")
        )
        periods, cancelled, lines = [], [], []
        for subscription in subscriptions:
            start = subscription.next_invoice_at
            if subscription.cancel_at_period_end and subscription.current_period_end is not None:
                cancelled.append(subscription)
                continue
            if subscription.pending_cycle:
                # The new cycle starts with this period, at the plan's price for it.
                amount = prices.get((subscription.plan_id, subscription.pending_cycle))
                if amount is not None:
                    subscription.cycle = subscription.pending_cycle
                    subscription.amount_minor = amount
                    subscription.pending_cycle = ""
            end = period_end(
                anchor=subscription.billing_anchor,
                start=start,
                months=BillingCycle(subscription.cycle).months,
            )
            if (subscription.pk, start) not in invoiced:
                invoice = _invoice_for(
                    subscription, start=start, end=end, issue_date=issue_date, now=now
                )
                issued.invoices.append(invoice)
                lines.append(_line_description(subscription, subscription.cycle))
            subscription.current_period_start, subscription.current_period_end = start, end
            subscription.next_invoice_at = end
            periods.append(
                (*(getattr(subscription, f) for f in _SUBSCRIPTION_PERIOD_FIELDS), subscription.pk)
            )
        rows_update(Subscription, _SUBSCRIPTION_PERIOD_FIELDS, periods)
        issued.cancelled = _cancel_at_period_end(cancelled, now)
        _invoices_create(issued.invoices, lines, issue_date)
    return issued


def _invoices_create(invoices: list[Invoice], descriptions: list[str], issue_date: date) -> None:
    """Number the invoices (last: the sequence row stays locked until commit), insert them with
    their lines and audit entries."""
    if not invoices:
        return
    numbers = numbers_take(series=INVOICE_SERIES, year=issue_date.year, count=len(invoices))
    for invoice, (value, number) in zip(invoices, numbers, strict=True):
        invoice.number_year, invoice.number_seq, invoice.number = issue_date.year, value, number
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=1,
                description=description,
                quantity=1,
                unit_amount_minor=invoice.subtotal_minor,
                amount_minor=invoice.subtotal_minor,
                tax_minor=invoice.tax_minor,
                period_start=invoice.period_start,
                period_end=invoice.period_end,
            )
            for invoice, description in zip(invoices, descriptions, strict=True)
        ]
    )
    audit_rows_write(
        [
            AuditRow(
                action="invoice.issued",
                object_type=INVOICE_TYPE,
                object_id=invoice.pk,
                customer_id=invoice.customer_id,
                changes={
                    "number": invoice.number,
                    "total": str(invoice.total),
                    "period": [invoice.period_start, invoice.period_end],
                },
                message=f"{invoice.number} for subscription {invoice.subscription_id}",
            )
            for invoice in invoices
        ]
    )
    for invoice in invoices:
        if invoice.is_first:
            journey_step_complete(customer=invoice.customer, step=Step.FIRST_INVOICE)


def _cancel_at_period_end(subscriptions: list[Subscription], now: datetime) -> int:
    if not subscriptions:
        return 0
    Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
        status=SubscriptionStatus.CANCELLED, cancelled_at=now
    )
    audit_rows_write(
        [
            AuditRow(
                action="subscription.cancelled",
                object_type=SUBSCRIPTION_TYPE,
                object_id=s.pk,
                customer_id=s.customer_id,
                changes={"status": [s.status, SubscriptionStatus.CANCELLED]},
                message="cancelled at the end of its period",
            )
            for s in subscriptions
        ]
    )
    return len(subscriptions)


def _charge_issued(invoices: list[Invoice]) -> Tally:
    reserved = [i for i in invoices if i.payment_state == PaymentState.PROCESSING]
    return charges_run([charge_of(invoice) for invoice in reserved])


def _count(progress: BillRunProgress, tally: Tally) -> None:
    progress.paid += tally.paid
    progress.failed += tally.failed
    progress.pending += tally.pending
    progress.errors += tally.errors


def bill_run_execute(
    *,
    run_date: date,
    batch_size: int | None = None,
    on_progress: Callable[[BillRunProgress], None] | None = None,
) -> BillRunProgress:
    """Invoice and charge every live subscription due on `run_date` (next_invoice_at before the
    end of that day, UTC), batch by batch, then send whatever a dead process left unsent.

    `on_progress` is called after each batch. Safe to run again, and alongside other processes
    running the same day on PostgreSQL.
    """
    batch_size = batch_size or settings.BILLING_BATCH_SIZE
    cutoff, issue_date = end_of_day(run_date), issue_date_for(run_date)
    run = _bill_run_join(run_date)
    progress = BillRunProgress(run_date=run_date)
    while True:
        issued = _issue_batch(cutoff=cutoff, issue_date=issue_date, batch_size=batch_size)
        if not issued.claimed:
            break
        tally = _charge_issued(issued.invoices)
        progress.issued += len(issued.invoices)
        progress.cancelled += issued.cancelled
        _count(progress, tally)
        _bill_run_add(run, invoices=len(issued.invoices), cancelled=issued.cancelled, tally=tally)
        if on_progress:
            on_progress(progress)
    resumed = invoices_processing_resume(batch_size=batch_size)
    progress.resumed = resumed.paid + resumed.failed + resumed.pending
    _count(progress, resumed)
    _bill_run_add(run, invoices=0, cancelled=0, tally=resumed, finished=True)
    if on_progress:
        on_progress(progress)
    logger.info(progress.line(), extra={"run_date": str(run_date), "issued": progress.issued})
    return progress


def _bill_run_join(run_date: date) -> BillRun:
    run, _ = BillRun.objects.get_or_create(
        run_date=run_date, defaults={"started_at": timezone.now()}
    )
    BillRun.objects.filter(pk=run.pk).update(passes=F("passes") + 1)
    return run


def _bill_run_add(
    run: BillRun, *, invoices: int, cancelled: int, tally: Tally, finished: bool = False
) -> None:
    changes = {
        "invoices_issued": F("invoices_issued") + invoices,
        "charges_sent": F("charges_sent") + tally.paid + tally.failed + tally.pending,
        "paid": F("paid") + tally.paid,
        "failed": F("failed") + tally.failed,
        "pending": F("pending") + tally.pending,
        "cancelled": F("cancelled") + cancelled,
    }
    if finished:
        changes["finished_at"] = timezone.now()
    BillRun.objects.filter(pk=run.pk).update(**changes)


def subscription_bill_due(*, subscription_id: int) -> list[int]:
    """Invoice and charge one subscription if its period has begun (its first invoice right
    after the purchase); returns the ids of the invoices it issued."""
    issued = _issue_batch(
        cutoff=timezone.now() + timedelta(microseconds=1),
        issue_date=timezone.now().date(),
        batch_size=1,
        only=[subscription_id],
    )
    _charge_issued(issued.invoices)
    return [invoice.pk for invoice in issued.invoices]


# At most this many subscriptions get an alert each; more is one alert with the count.
_MISSING_ALERTS_EACH = 20


def invoices_missing_reconcile(*, now: datetime | None = None) -> int:
    """Find live subscriptions whose period began more than the grace time ago without an
    invoice, alert the admins ("missing_invoice") and invoice them now; returns how many."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.BILLING_MISSING_INVOICE_GRACE_MINUTES)
    missing = Subscription.objects.filter(status__in=LIVE_STATUSES, next_invoice_at__lt=since)
    count = missing.count()
    if not count:
        return 0
    sample = list(missing.order_by("next_invoice_at", "pk")[:_MISSING_ALERTS_EACH])
    if count <= _MISSING_ALERTS_EACH:
        for subscription in sample:
            admin_alert_raise(
                reason="missing_invoice",
                message=(
                    f"Subscription {subscription.pk}'s period began at "
                    f"{subscription.next_invoice_at:%Y-%m-%d %H:%M} UTC without an invoice; "
                    "it is being invoiced now."
                ),
                target=subscription,
                customer_id=subscription.customer_id,
                context={"next_invoice_at": subscription.next_invoice_at.isoformat()},
            )
    else:
        admin_alert_raise(
            reason="missing_invoice",
            message=(
                f"{count} subscriptions' periods began without an invoice (the oldest at "
                f"{sample[0].next_invoice_at:%Y-%m-%d %H:%M} UTC); they are being invoiced now. "
                "Is the bill run scheduled?"
            ),
            object_type=SUBSCRIPTION_TYPE,
            object_id="many",
            context={"count": count, "first_ids": [s.pk for s in sample]},
        )
    bill_run_execute(run_date=now.date())
    return count
