"""Reads for billing pages and the API, each in a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Model, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext, pgettext
from django_tasks import TaskResultStatus

from onboarding.accounts.models import Customer
from onboarding.alerts.models import AdminAlert
from onboarding.billing.models import (
    PAYABLE_STATUSES,
    BillRun,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentState,
    RetryStop,
    Subscription,
)
from onboarding.billing.taxes import customer_tax
from onboarding.catalog.models import BillingCycle, Plan, PlanPrice
from onboarding.catalog.selectors import plan_list_on_sale
from onboarding.core import clock
from onboarding.core.access import get_visible_or_404
from onboarding.core.money import Money, currencies_in_order
from onboarding.core.numbers import parse_query_int
from onboarding.payments.models import PaymentAttempt, PaymentDispute, PaymentMethod
from onboarding.payments.selectors import payment_dispute_flag, payment_disputes_by_attempt
from onboarding.tax.selectors import TaxDecision, TaxRateMissing
from onboarding.worker.models import TaskKey


def invoices_action_required(*, customer: Customer) -> list[Invoice]:
    """The customer's invoices whose payment waits for them to confirm it with their bank (SCA),
    oldest first: what their account home asks them to do."""
    return list(
        Invoice.objects.filter(
            customer=customer,
            status__in=PAYABLE_STATUSES,
            payment_state=PaymentState.ACTION_REQUIRED,
        )
        .select_related("customer")
        # The page writes each total for its money country (money_country): no query per row.
        .only("pk", "number", "total_minor", "currency", "tax_country", "customer__country")
        .order_by("pk")
    )


def subscriptions_of(*, customer: Customer) -> list[Subscription]:
    """A customer's subscriptions, newest first, each with its plan, product and the plan's
    prices (ordered by cycle). A plan on sale is the one of the catalogue this process keeps
    (catalog/snapshot.py: shared objects, read them only), so no query joins or prefetches the
    catalogue on every page; only plans no longer on sale are read from the database."""
    subscriptions = list(Subscription.objects.filter(customer=customer).order_by("-purchased_at"))
    if not subscriptions:
        return subscriptions
    plans = {plan.pk: plan for plan in plan_list_on_sale()}
    gone = {subscription.plan_id for subscription in subscriptions} - plans.keys()
    if gone:
        plans.update(
            (plan.pk, plan)
            for plan in Plan.objects.filter(pk__in=gone)
            .select_related("product")
            .prefetch_related(
                Prefetch("prices", queryset=PlanPrice.objects.order_by(BillingCycle.order()))
            )
        )
    for subscription in subscriptions:
        Subscription.plan.field.set_cached_value(subscription, plans[subscription.plan_id])
    return subscriptions


def _with_documents(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return invoices.select_related(
        "subscription__plan__product", "customer__user"
    ).prefetch_related(
        "lines",
        Prefetch(
            "credit_notes",
            queryset=CreditNote.objects.exclude(status=CreditNoteStatus.CANCELLED).order_by("id"),
        ),
    )


# Each row's `dispute_flag`: "open", "lost" or "" for the charge that paid it (the lists' badge).
_DISPUTE_FLAG = payment_dispute_flag(OuterRef("paid_attempt_id"))


def invoice_list_of(*, customer: Customer) -> QuerySet[Invoice]:
    """A customer's invoices, newest first (finalized ones only: drafts are not theirs yet),
    each with its `dispute_flag` ("open", "lost" or "")."""
    # What each bills, as issued: its first line (the plan as it was then, not as it is now),
    # or the plan change it pays for.
    first_line = InvoiceLine.objects.filter(invoice=OuterRef("pk")).order_by("id")
    return (
        Invoice.objects.finalized()
        .filter(customer=customer)
        .select_related("plan_change__to_plan__product")
        .annotate(
            first_line=Subquery(first_line.values("description")[:1]),
            dispute_flag=_DISPUTE_FLAG,
        )
        .order_by("-id")
    )


def invoice_to_pay_of(*, customer: Customer) -> Invoice | None:
    """The customer's oldest invoice still to pay (id and number only), or None."""
    return (
        Invoice.objects.finalized()
        .filter(customer=customer)
        .payable()
        .only("id", "number")
        .order_by("id")
        .first()
    )


def invoice_get_for(*, user, invoice_id) -> Invoice:
    """One invoice `user` may see (its customer, or staff), with lines and credit notes; 404
    for anyone else's."""
    return get_visible_or_404(user, _with_documents(Invoice.objects.finalized()), pk=invoice_id)


def invoice_with_lines_get_for(*, user, invoice_id) -> Invoice:
    """One invoice `user` may see with its lines and credit notes, and nothing it refers to:
    the API's answer reads only these (the page's selector above also joins the plan, product,
    customer and user for the page's header)."""
    return get_visible_or_404(
        user,
        Invoice.objects.finalized().prefetch_related(
            "lines",
            Prefetch(
                "credit_notes",
                queryset=CreditNote.objects.exclude(status=CreditNoteStatus.CANCELLED).order_by(
                    "id"
                ),
            ),
        ),
        pk=invoice_id,
    )


def credit_note_get_for(*, user, invoice_id, credit_note_id) -> CreditNote:
    return get_visible_or_404(
        user,
        CreditNote.objects.filter(status=CreditNoteStatus.ISSUED).select_related("invoice"),
        pk=credit_note_id,
        invoice_id=invoice_id,
    )


def invoice_staff_list(*, status: str = "", query: str = "") -> QuerySet[Invoice]:
    """Every finalized invoice, filtered by status and by number, customer reference, company
    or email; newest first; each with its `dispute_flag`."""
    invoices = (
        Invoice.objects.finalized()
        .select_related("customer__user")
        .annotate(dispute_flag=_DISPUTE_FLAG)
        .order_by("-id")
    )
    if status:
        invoices = invoices.filter(status=status)
    query = query.strip()
    if query:
        match = (
            Q(number__icontains=query)
            | Q(customer_reference__iexact=query)
            | Q(bill_to_name__icontains=query)
            | Q(customer__user__email__icontains=query)
        )
        customer_id = parse_query_int(query, minimum=1)
        if customer_id is not None:
            match |= Q(customer_id=customer_id)
        invoices = invoices.filter(match)
    return invoices


def invoice_status_counts() -> dict[str, int]:
    counts = dict.fromkeys(InvoiceStatus.values, 0)
    counts.update(
        Invoice.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return counts


@dataclass(frozen=True)
class CurrencyTotals:
    """What a set of invoices adds up to in one currency: money in different currencies is never
    added together, so a report has one of these per currency."""

    currency: str
    count: int
    invoiced: Money  # every invoice's total, void ones excluded
    paid: Money
    unpaid: Money  # open or uncollectible
    credited: Money


def invoice_totals_by_currency(*, invoices: QuerySet[Invoice]) -> list[CurrencyTotals]:
    """Totals of `invoices` (a staff list, filtered or not), one row per currency, the default
    currency first; one query."""
    live = ~Q(status=InvoiceStatus.VOID)
    rows = (
        invoices.order_by()
        .values("currency")
        .annotate(
            count=Count("id"),
            invoiced=Sum("total_minor", filter=live, default=0),
            paid=Sum("total_minor", filter=Q(status=InvoiceStatus.PAID), default=0),
            unpaid=Sum("total_minor", filter=Q(status__in=PAYABLE_STATUSES), default=0),
            credited=Sum("credited_minor", filter=live, default=0),
        )
    )
    by_currency = {row["currency"]: row for row in rows}
    return [
        CurrencyTotals(
            currency=code,
            count=by_currency[code]["count"],
            **{
                name: Money(int(by_currency[code][name]), code)
                for name in ("invoiced", "paid", "unpaid", "credited")
            },
        )
        for code in currencies_in_order(by_currency)
    ]


def invoice_payments(*, invoice: Invoice) -> list[PaymentAttempt]:
    """The charge attempts made for an invoice, oldest first (for staff)."""
    return list(
        PaymentAttempt.objects.filter(invoice_reference=invoice.number)
        .select_related("payment_method")
        .order_by("created_at", "id")
    )


def bill_runs_recent(*, limit: int = 10) -> list[BillRun]:
    return list(BillRun.objects.order_by("-run_date")[:limit])


def invoice_paid_by(*, invoice: Invoice) -> PaymentAttempt | None:
    """The charge that paid an invoice, with its card, in one query; None for an unpaid invoice
    or one that was paid without a charge (nothing to pay)."""
    if invoice.status != InvoiceStatus.PAID or invoice.paid_attempt_id is None:
        return None
    return (
        PaymentAttempt.objects.select_related("payment_method")
        .filter(pk=invoice.paid_attempt_id)
        .first()
    )


def invoice_needs_new_card(*, invoice: Invoice, card: PaymentMethod | None) -> bool:
    """Whether paying `invoice` must wait for a new card: its last attempt was hard-declined
    (the bank says the card can never work again) and `card`, the card on file, is that card.
    Once another card is on file (or a charge on it said otherwise) it may be paid."""
    if invoice.retry_stopped != RetryStop.HARD_DECLINE or invoice.status not in PAYABLE_STATUSES:
        return False
    if card is None:
        return False  # no card at all: the page and the service ask for one anyway
    declined = (
        PaymentAttempt.objects.filter(invoice_reference=invoice.number)
        .order_by("-created_at", "-id")
        .values("payment_method_id", "created_at")
        .first()
    )
    if declined is None:
        return True
    if declined["payment_method_id"] is not None:
        return declined["payment_method_id"] == card.pk
    return card.created_at <= declined["created_at"]


def invoice_dispute(*, invoice: Invoice) -> PaymentDispute | None:
    """The dispute the customer's bank opened on the charge that paid `invoice` (open or closed,
    the newest), or None; no query for an invoice paid by no charge."""
    return payment_disputes_by_attempt(attempt_ids=[invoice.paid_attempt_id]).get(
        invoice.paid_attempt_id
    )


def invoice_disputes(*, invoices: list[Invoice]) -> dict[int, PaymentDispute]:
    """invoice_dispute for a page of invoices, keyed by invoice id, in one query."""
    by_attempt = payment_disputes_by_attempt(
        attempt_ids=[invoice.paid_attempt_id for invoice in invoices]
    )
    return {
        invoice.pk: by_attempt[invoice.paid_attempt_id]
        for invoice in invoices
        if invoice.paid_attempt_id in by_attempt
    }


def document_render_failed(
    *, task_key: str, target: Model, since: datetime | None, alert_reason: str = ""
) -> bool:
    """True when the worker's last attempt at a document wanted since `since` failed: the task
    queued under `task_key` waits for a retry after an error or failed for good, or (for a task
    that reports its own failures) an unresolved `alert_reason` alert about `target` was raised
    since then. Two indexed queries at most."""
    queued = TaskKey.objects.select_related("task_result").filter(key=task_key).first()
    if queued is not None:
        result = queued.task_result
        recent = since is None or result.enqueued_at >= since
        retrying = result.status == TaskResultStatus.READY and bool(result.exception_class_path)
        if recent and (retrying or result.status == TaskResultStatus.FAILED):
            return True
    if not alert_reason:
        return False
    alerts = AdminAlert.objects.unresolved().filter(
        reason=alert_reason, object_type=target._meta.label_lower, object_id=str(target.pk)
    )
    if since is not None:
        alerts = alerts.filter(last_seen_at__gte=since)
    return alerts.exists()


@dataclass(frozen=True)
class CycleOffer:
    """One way to pay for a plan, as the buy page offers it: the price per cycle (net, tax,
    total) and what it saves against paying monthly for the same months. Without a tax
    decision (the buyer's country is not known yet) tax is zero and `taxed` False."""

    cycle: str
    label: str
    months: int
    net: Money
    tax: Money
    gross: Money
    saving: Money | None  # None for monthly itself, or when monthly is not sold
    saving_percent: int | None  # whole percent, rounded down: never promises more than it is
    taxed: bool = True

    def __str__(self) -> str:
        return str(self.label)  # the cycle's name, translated lazily

    @property
    def per(self) -> str:
        per = {
            1: pgettext("price per", "a month"),
            3: pgettext("price per", "a quarter"),
            12: pgettext("price per", "a year"),
        }
        return per.get(self.months) or gettext("every {months} months").format(months=self.months)


def buyer_tax(*, customer: Customer) -> TaxDecision | None:
    """The tax a purchase by `customer` would be invoiced with today; None while their billing
    country is unknown or the rates table has a gap for it (the purchase itself refuses that)."""
    if not customer.country:
        return None
    try:
        return customer_tax(customer=customer, on=clock.now().date())
    except TaxRateMissing:
        return None


def plan_cycle_offers(
    *, plan: Plan, currency: str, tax: TaxDecision | None = None
) -> list[CycleOffer]:
    """The plan's prices in `currency`, one per cycle it is sold in, in BillingCycle's order
    (monthly, quarterly, annual), with `tax` (the buyer's: tax.selectors.tax_for) added. Savings
    are computed in integer minor units from the totals with tax."""
    rate_bp = tax.rate_bp if tax is not None else 0

    def gross(price: PlanPrice) -> Money:
        return price.amount + price.amount.percentage(rate_bp)

    prices = {price.cycle: price for price in plan.prices_in(currency)}
    monthly = prices.get(BillingCycle.MONTHLY)
    offers = []
    for cycle in BillingCycle:
        price = prices.get(cycle.value)
        if price is None:
            continue
        saving = percent = None
        if monthly is not None and cycle != BillingCycle.MONTHLY:
            as_monthly = gross(monthly).times(cycle.months)
            difference = as_monthly - gross(price)
            if difference.amount_minor > 0:
                saving = difference
                percent = difference.amount_minor * 100 // as_monthly.amount_minor
        offers.append(
            CycleOffer(
                cycle=cycle.value,
                label=cycle.label,
                months=cycle.months,
                net=price.amount,
                tax=price.amount.percentage(rate_bp),
                gross=gross(price),
                saving=saving,
                saving_percent=percent,
                taxed=tax is not None,
            )
        )
    return offers
