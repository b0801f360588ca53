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
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from onboarding.accounts.models import Customer
from onboarding.audit.bulk import audit_rows_write
from onboarding.billing import events
from onboarding.billing.billrun_loops import bill_run_loops, loops_in_threads
from onboarding.billing.billrun_rows import (
    DueRow,
    bill_to_of,
    due_claim,
    plan_names_of,
    prices_of,
)
from onboarding.billing.charging import (
    Charge,
    Tally,
    charges_run,
    invoices_processing_resume,
)
from onboarding.billing.line_texts import support_line
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
from onboarding.billing.plan_settle import terms_changed_publish
from onboarding.billing.scheduled_changes import (
    NotApplied,
    plans_on_sale,
    scheduled_change_apply,
    scheduled_changes_not_applied,
    scheduled_changes_not_applied_report,
)
from onboarding.billing.taxes import line_tax_minor, totals_of
from onboarding.catalog.models import BillingCycle
from onboarding.core import clock
from onboarding.core.bulk import rows_insert, rows_update
from onboarding.core.money import Money, currencies_in_order
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from onboarding.tax.selectors import TaxDecision, TaxRateMissing, tax_for, tax_rates
from onboarding.tax.services import tax_missing_alert, tax_missing_alerts_resolve

logger = logging.getLogger(__name__)

_SUBSCRIPTION_PERIOD_FIELDS = [
    "current_period_start",
    "current_period_end",
    "next_invoice_at",
    "cycle",
    "pending_cycle",
    "amount_minor",
    "tax_rate_bp",
    "plan",
    "quantity",
    "pending_plan",
    "pending_quantity",
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
    # What was invoiced, per currency (minor units): amounts in different currencies are never
    # added together.
    invoiced: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.issued / self.elapsed if self.elapsed > 0 else 0.0

    def add_invoiced(self, totals: list[Money]) -> None:
        for total in totals:
            self.invoiced[total.currency] = (
                self.invoiced.get(total.currency, 0) + total.amount_minor
            )

    @property
    def invoiced_totals(self) -> list[Money]:
        """The invoiced totals, one per currency, in currency order."""
        return [Money(self.invoiced[code], code) for code in currencies_in_order(self.invoiced)]

    def line(self) -> str:
        totals = ", ".join(str(total) for total in self.invoiced_totals) or "nothing"
        return (
            f"bill run {self.run_date}: {self.issued} invoiced ({totals}), {self.paid} paid, "
            f"{self.failed} failed, {self.pending} pending, {self.errors} errors, "
            f"{self.cancelled} cancelled, {self.elapsed:.1f}s ({self.rate:.0f} invoices/s)"
        )


@dataclass
class _Issued:
    claimed: int = 0
    cancelled: int = 0
    invoices: list["IssuedInvoice"] = field(default_factory=list)
    # Subscriptions left due because their customer's country has no rate in force, by country.
    tax_missing: dict[str, list[int]] = field(default_factory=dict)
    # Scheduled changes the renewal could not make (scheduled_changes.py).
    not_applied: list[NotApplied] = field(default_factory=list)


def issue_date_for(run_date: date) -> date:
    """A run for a past day issues today (invoices are never backdated); a future day, that day."""
    return max(run_date, clock.now().date())


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    pk: int
    number: str
    customer_id: int
    subscription_id: int
    amount: Money | None  # None: nothing to charge (a zero invoice, paid as issued)
    is_first: bool
    total: Money

    @property
    def charge(self) -> Charge:
        return Charge(
            invoice_id=self.pk,
            number=self.number,
            attempt=1,
            customer_id=self.customer_id,
            amount=self.amount,
            description=f"Invoice {self.number}",
        )


# Every concrete column of an invoice but its key, in order, and what a new one holds.
_INVOICE_FIELDS = [f.attname for f in Invoice._meta.concrete_fields if not f.primary_key]
_INVOICE_DEFAULTS = {
    f.attname: f.get_default() for f in Invoice._meta.concrete_fields if not f.primary_key
}
_LINE_FIELDS = (
    "invoice_id",
    "position",
    "description",
    "quantity",
    "unit_amount_minor",
    "amount_minor",
    "tax_rate_bp",
    "tax_minor",
    "period_start",
    "period_end",
)


def _invoice_values(
    due: DueRow,
    *,
    tax: TaxDecision,
    start: datetime,
    end: datetime,
    issue_date: date,
    now: datetime,
) -> dict:
    """The invoice's columns; its one line (quantity x unit price) taxed at the decided rate,
    and the totals as the sum of its lines (taxes.totals_of), as every invoice adds up."""
    net_minor = due.amount_minor * due.quantity
    line_tax = line_tax_minor(net_minor, tax.rate_bp, due.currency)
    totals = totals_of([(net_minor, line_tax)])
    charged = totals.total_minor > 0
    name, address, reference = bill_to_of(due)
    return {
        **_INVOICE_DEFAULTS,
        "customer_id": due.customer_id,
        "subscription_id": due.pk,
        "status": InvoiceStatus.OPEN if charged else InvoiceStatus.PAID,
        "series": INVOICE_SERIES,
        "currency": due.currency,
        "tax_rate_bp": tax.rate_bp,
        "subtotal_minor": totals.subtotal_minor,
        "tax_minor": totals.tax_minor,
        "total_minor": totals.total_minor,
        "tax_country": tax.country,
        "tax_name": tax.name,
        "reverse_charge": tax.reverse_charge,
        "tax_mention": tax.mention,
        "seller_vat_number": settings.BILLING_SELLER_TAX_ID,
        "period_start": start,
        "period_end": end,
        "issue_date": issue_date,
        "due_date": issue_date + timedelta(days=settings.BILLING_PAYMENT_TERMS_DAYS),
        "finalized_at": now,
        "bill_to_name": name,
        "bill_to_address": address,
        "bill_to_email": due.email,
        "bill_to_vat_number": due.vat_number,
        "customer_reference": reference,
        "language": due.language,
        "is_first": due.current_period_end is None,
        "payment_state": PaymentState.PROCESSING if charged else PaymentState.NONE,
        "attempt_count": 1 if charged else 0,
        "attempt_source": AttemptSource.ISSUE if charged else "",
        "attempt_reserved_at": now if charged else None,
        "paid_at": None if charged else now,
        "followup_due": True,
        "created_at": now,
    }


def _issue_batch(
    *,
    cutoff: datetime,
    issue_date: date,
    batch_size: int,
    only: list[int] | None = None,
    passed: Collection[int] = (),
) -> _Issued:
    """Claim due subscriptions, advance each a period and invoice it: one transaction.

    Tax is decided per row from one read of the rates table. A subscription whose customer's
    country has no rate in force is left as it is (still due: the next run invoices it once the
    table is fixed) and reported in `tax_missing`; `passed` are those this run already left."""
    now = clock.now()
    issued = _Issued()
    with transaction.atomic():
        due = Subscription.objects.filter(
            clock.customer_scope("customer"), status__in=LIVE_STATUSES, next_invoice_at__lt=cutoff
        )
        if only is not None:
            due = due.filter(pk__in=only)
        if passed:
            due = due.exclude(pk__in=passed)
        claimed = due_claim(due, batch_size)
        issued.claimed = len(claimed)
        if not claimed:
            return issued
        plan_ids = {d.plan_id for d in claimed} | {
            d.pending_plan_id for d in claimed if d.pending_plan_id
        }
        prices, names, rates = prices_of(plan_ids), plan_names_of(plan_ids), tax_rates()
        on_sale = plans_on_sale(claimed)
        invoiced = set(
            Invoice.objects.filter(
                subscription_id__in=[d.pk for d in claimed],
                period_start__in={d.next_invoice_at for d in claimed},
            ).values_list("subscription_id", "period_start")
        )
        periods, cancelled, invoices, lines, changed_terms = [], [], [], [], []
        taxed_countries: set[str] = set()
        for d in claimed:
            start = d.next_invoice_at
            if d.cancel_at_period_end and d.current_period_end is not None:
                cancelled.append(d)
                continue
            if (d.pk, start) not in invoiced:
                try:
                    tax = tax_for(
                        country=d.country,
                        vat_number=d.vat_number,
                        on=issue_date,
                        rates=rates,
                    )
                except TaxRateMissing:
                    issued.tax_missing.setdefault(d.country, []).append(d.pk)
                    continue
                d.tax_rate_bp = tax.rate_bp
                if not tax.reverse_charge:  # a reverse charge reads no rate
                    taxed_countries.add(d.country)
            changed, missed = scheduled_change_apply(d, prices=prices, on_sale=on_sale, names=names)
            if changed:
                changed_terms.append(d)
            if missed:
                issued.not_applied.append(missed)
            cycle = BillingCycle(d.cycle)
            end = period_end(anchor=d.billing_anchor, start=start, months=cycle.months)
            if (d.pk, start) not in invoiced:
                invoices.append(
                    _invoice_values(
                        d, tax=tax, start=start, end=end, issue_date=issue_date, now=now
                    )
                )
                # In the invoice's language: the line is the document's own text.
                lines.append((support_line(names[d.plan_id], cycle, d.language), d.quantity))
            periods.append(
                (
                    *(
                        start,
                        end,
                        end,
                        d.cycle,
                        d.pending_cycle,
                        d.amount_minor,
                        d.tax_rate_bp,
                    ),
                    *(
                        d.plan_id,
                        d.quantity,
                        d.pending_plan_id,
                        d.pending_quantity,
                        d.pk,
                    ),
                )
            )
        rows_update(Subscription, _SUBSCRIPTION_PERIOD_FIELDS, periods)
        for d in changed_terms:
            terms_changed_publish(
                subscription_id=d.pk,
                plan_id=d.plan_id,
                quantity=d.quantity,
                cycle=d.cycle,
                key=f"period:{d.next_invoice_at.isoformat()}",
                now=now,
            )
        issued.cancelled = _cancel_at_period_end(cancelled, now)
        scheduled_changes_not_applied(rows=issued.not_applied, now=now)
        issued.invoices = _invoices_create(invoices, lines, issue_date)
        # An invoice taxed for a country shows its rate is in force again: its alert closes.
        tax_missing_alerts_resolve(
            countries=taxed_countries, because=f"invoices were issued and taxed on {issue_date}"
        )
    return issued


def _invoices_create(
    invoices: list[dict], descriptions: list[tuple[str, int]], issue_date: date
) -> list[IssuedInvoice]:
    """Number the invoices (last: the sequence row stays locked until commit), insert them with
    their lines and audit entries."""
    if not invoices:
        return []
    numbers = numbers_take(series=INVOICE_SERIES, year=issue_date.year, count=len(invoices))
    for values, (seq, number) in zip(invoices, numbers, strict=True):
        values.update(number_year=issue_date.year, number_seq=seq, number=number)
    keys = rows_insert(
        Invoice,
        _INVOICE_FIELDS,
        [tuple(values[name] for name in _INVOICE_FIELDS) for values in invoices],
        returning=True,
    )
    rows_insert(
        InvoiceLine,
        _LINE_FIELDS,
        [
            (
                pk,
                1,
                description,
                quantity,
                v["subtotal_minor"] // quantity,
                v["subtotal_minor"],
                v["tax_rate_bp"],
                v["tax_minor"],
                v["period_start"],
                v["period_end"],
            )
            for pk, v, (description, quantity) in zip(keys, invoices, descriptions, strict=True)
        ],
        returning=False,
    )
    issued = [
        IssuedInvoice(
            pk=pk,
            number=v["number"],
            customer_id=v["customer_id"],
            subscription_id=v["subscription_id"],
            amount=Money(v["total_minor"], v["currency"]) if v["attempt_count"] else None,
            is_first=v["is_first"],
            total=Money(v["total_minor"], v["currency"]),
        )
        for pk, v in zip(keys, invoices, strict=True)
    ]
    audit_rows_write(
        [
            events.invoice_issued_row(
                invoice_id=pk,
                number=v["number"],
                customer_id=v["customer_id"],
                subscription_id=v["subscription_id"],
                total=Money(v["total_minor"], v["currency"]),
                period_start=v["period_start"],
                period_end=v["period_end"],
            )
            for pk, v in zip(keys, invoices, strict=True)
        ]
    )
    first = [invoice.customer_id for invoice in issued if invoice.is_first]
    for customer in Customer.objects.filter(pk__in=first).select_related("user"):
        journey_step_complete(customer=customer, step=Step.FIRST_INVOICE)
    return issued


def _cancel_at_period_end(subscriptions: list[DueRow], now: datetime) -> int:
    if not subscriptions:
        return 0
    Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
        status=SubscriptionStatus.CANCELLED, cancelled_at=now
    )
    audit_rows_write(
        [
            events.subscription_cancelled_row(
                subscription_id=s.pk,
                customer_id=s.customer_id,
                previous_status=s.status,
            )
            for s in subscriptions
        ]
    )
    return len(subscriptions)


def _after_commit_report(issued: _Issued, issue_date: date) -> None:
    """The batch's admin alerts, once it committed: one per country without a rate (counting
    the batches that met the gap until it closes), one per plan a scheduled change could not
    move to."""
    scheduled_changes_not_applied_report(issued.not_applied)
    for country, subscriptions in issued.tax_missing.items():
        logger.warning(
            "bill run left %d subscriptions due: no tax rate for %s on %s",
            len(subscriptions),
            country,
            issue_date,
        )
        tax_missing_alert(country=country, on=issue_date, subscriptions=subscriptions)


def _charge_issued(invoices: list[IssuedInvoice]) -> Tally:
    return charges_run([invoice.charge for invoice in invoices if invoice.amount is not None])


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
    loops: int | None = None,
) -> BillRunProgress:
    """Invoice and charge every live subscription due on `run_date` (next_invoice_at before the
    end of that day, UTC), batch by batch, then send whatever a dead process left unsent.

    `on_progress` is called after each batch. `loops`: claim-and-charge loops run at once
    (see bill_run_loops). Safe to run again, and alongside other processes running the
    same day on PostgreSQL.
    """
    batch_size = batch_size or settings.BILLING_BATCH_SIZE
    cutoff, issue_date = end_of_day(run_date), issue_date_for(run_date)
    run = _bill_run_join(run_date)
    progress = BillRunProgress(run_date=run_date)
    counting = threading.Lock()
    # Subscriptions left due for want of a tax rate: not claimed again in this run.
    passed: set[int] = set()

    def loop() -> None:
        while True:
            with counting:
                leave = frozenset(passed)
            issued = _issue_batch(
                cutoff=cutoff,
                issue_date=issue_date,
                batch_size=batch_size,
                passed=leave,
            )
            if not issued.claimed:
                return
            _after_commit_report(issued, issue_date)
            with counting:
                passed.update(pk for pks in issued.tax_missing.values() for pk in pks)
            tally = _charge_issued(issued.invoices)
            _bill_run_add(
                run,
                invoices=len(issued.invoices),
                cancelled=issued.cancelled,
                tally=tally,
            )
            with counting:
                progress.issued += len(issued.invoices)
                progress.add_invoiced([invoice.total for invoice in issued.invoices])
                progress.cancelled += issued.cancelled
                _count(progress, tally)
                if on_progress:
                    on_progress(progress)

    loops = bill_run_loops(loops)
    if loops == 1:
        loop()
    else:
        loops_in_threads(loop, loops)
    resumed = invoices_processing_resume(batch_size=batch_size)
    progress.resumed = resumed.paid + resumed.failed + resumed.pending
    _count(progress, resumed)
    _bill_run_add(run, invoices=0, cancelled=0, tally=resumed, finished=True)
    if on_progress:
        on_progress(progress)
    logger.info(progress.line(), extra={"run_date": str(run_date), "issued": progress.issued})
    return progress


def _bill_run_join(run_date: date) -> BillRun:
    if clock.current() is not None:
        # A test clock's run is not the business's: the day's record (and its counts) stays
        # real. Unsaved, so _bill_run_add's updates of pk None touch nothing.
        return BillRun(run_date=run_date)
    run, _ = BillRun.objects.get_or_create(run_date=run_date, defaults={"started_at": clock.now()})
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
        changes["finished_at"] = clock.now()
    BillRun.objects.filter(pk=run.pk).update(**changes)


def subscription_bill_due(*, subscription_id: int) -> list[int]:
    """Invoice and charge one subscription if its period has begun (its first invoice right
    after the purchase); returns the ids of the invoices it issued."""
    issued = _issue_batch(
        cutoff=clock.now() + timedelta(microseconds=1),
        issue_date=clock.now().date(),
        batch_size=1,
        only=[subscription_id],
    )
    _after_commit_report(issued, clock.now().date())
    _charge_issued(issued.invoices)
    return [invoice.pk for invoice in issued.invoices]
