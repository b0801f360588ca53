"""The full customer view: everything SysOps know about one customer, risky facts first.

`customer_overview` is the one read behind the view, as a page and as an API call (and the
manager's contract page reuses it). It runs a fixed number of queries however long the
customer's history is: one per section, each bounded by `limit` newest rows.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext

from onboarding.accounts.models import Contact, Customer
from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.audit.models import AuditEntry
from onboarding.audit.selectors import audit_timeline_for_customer
from onboarding.billing.dunning_holds import customer_dunning_holds
from onboarding.billing.models import (
    LIVE_STATUSES,
    DunningHold,
    Invoice,
    InvoiceStatus,
    PlanChange,
    RetryStop,
    Subscription,
    SubscriptionStatus,
)
from onboarding.billing.plan_settle import units_label
from onboarding.billing.taxes import customer_tax
from onboarding.catalog.models import BillingCycle, PlanPrice
from onboarding.contracts.models import Contract
from onboarding.core.money import Money
from onboarding.health.reads import HealthCard, customer_health_card
from onboarding.journey.models import JourneyStep
from onboarding.journey.selectors import journey_of
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.payments.models import PaymentAttempt, PaymentDispute
from onboarding.payments.selectors import (
    payment_dispute_flag,
    payment_disputes_of,
    payment_method_active,
)
from onboarding.sla.selectors import sla_summary
from onboarding.sysops.models import ServiceRequest
from onboarding.sysops.requests import service_requests_with_clocks
from onboarding.sysops.risks import (
    CONTRACT_LINE_COLUMNS,
    CardFacts,
    ContractLine,
    RiskFlag,
    card_facts,
    contract_line,
    customer_acceptance_flags,
    risks_from,
)
from onboarding.tax.selectors import TaxRateMissing, TaxRates, tax_rates

HISTORY_LIMIT = 50
# The view shows at most this many unresolved alerts; the search results count as many.
ALERTS_LIMIT = 10


@dataclass(frozen=True)
class ScheduleLine:
    """What the customer will next be charged for one subscription, and when."""

    subscription_id: int
    plan: str
    product: str
    status: str
    status_label: str
    cycle: str
    next_cycle: str  # the cycle of the next period (a pending change applies then)
    next_charge_at: datetime | None
    net: Money
    tax: Money
    gross: Money
    cancel_at_period_end: bool
    # The customer's tax decision on the charge's day ("VAT 19%"), as its invoice will take it.
    tax_label: str = ""
    terms: str = ""  # "3 seats"
    # A plan or quantity change scheduled for the next period ("Essential, 3 seats"), else "".
    scheduled: str = ""

    # The cycles' names in the reader's language, read when the page is rendered.
    @property
    def cycle_label(self) -> str:
        return BillingCycle(self.cycle).label

    @property
    def next_cycle_label(self) -> str:
        return BillingCycle(self.next_cycle).label


@dataclass(frozen=True)
class ProductLine:
    product_id: int
    name: str
    plan: str
    released_on: date
    age_days: int  # since the product was released
    bought_at: datetime
    owned_days: int  # since this customer bought it
    subscription_status: str

    @property
    def subscription_status_label(self) -> str:
        """The state's name in the reader's language, read when the page is rendered."""
        return SubscriptionStatus(self.subscription_status).label


@dataclass(frozen=True)
class CustomerOverview:
    customer: Customer
    today: date
    risks: list[RiskFlag]
    contacts: list[Contact]
    card: CardFacts | None
    schedule: list[ScheduleLine]
    products: list[ProductLine]
    contracts: list[ContractLine]
    requests: list[ServiceRequest]
    invoices: list[Invoice]
    plan_changes: list[PlanChange]
    payments: list[PaymentAttempt]
    disputes: list[PaymentDispute]
    notifications: list[Notification]
    audit: list[AuditEntry]
    journey: list[JourneyStep]
    alerts: list[AdminAlert]
    # Why dunning waits for a manager instead of past due (billing.dunning_holds).
    dunning_holds: list[DunningHold]
    # The health score with its costliest factors and history; None until first computed.
    health: HealthCard | None = None
    limit: int = HISTORY_LIMIT
    # The history lists rendered (sysops/_overview_history.html), when the cached overview
    # keeps them (overview_cache); "" and the page renders them itself.
    history_html: str = ""

    @property
    def invoices_awaiting_decision(self) -> list[Invoice]:
        """Open invoices whose dunning waits for a manager's decision (among those listed)."""
        return [
            invoice
            for invoice in self.invoices
            if invoice.status == InvoiceStatus.OPEN
            and invoice.retry_stopped == RetryStop.MANAGER_DECISION
        ]

    @property
    def red_risks(self) -> list[RiskFlag]:
        return [risk for risk in self.risks if risk.is_red]

    @property
    def open_requests(self) -> list[ServiceRequest]:
        return [request for request in self.requests if request.is_open]

    @property
    def open_disputes(self) -> list[PaymentDispute]:
        return [dispute for dispute in self.disputes if dispute.is_open]

    @property
    def lost_disputes(self) -> list[PaymentDispute]:
        """Disputes the customer's bank won: a lasting red mark on the customer."""
        return [dispute for dispute in self.disputes if dispute.outcome == "lost"]


def _schedule(customer: Customer, subscriptions: list[Subscription]) -> list[ScheduleLine]:
    live = [s for s in subscriptions if s.status in LIVE_STATUSES]
    rates = tax_rates() if live else None  # one read of the rates table for every line
    return [_schedule_line(s, customer=customer, rates=rates) for s in live]


def _schedule_line(
    subscription: Subscription, *, customer: Customer, rates: TaxRates | None = None
) -> ScheduleLine:
    next_cycle = subscription.pending_cycle or subscription.cycle
    net = subscription.price
    next_plan = subscription.pending_plan or subscription.plan
    next_quantity = subscription.pending_quantity or subscription.quantity
    # A change scheduled for the next period bills it at the next plan's price for the next
    # cycle in the customer's currency (annotated), times the next quantity.
    next_price = getattr(subscription, "next_price_minor", None)
    if (subscription.pending_cycle or subscription.has_scheduled_change) and next_price is not None:
        net = Money(next_price * next_quantity, subscription.currency)
    # Taxed as the bill run will: the customer's country and VAT number, on the charge's day.
    on = max(subscription.next_invoice_at.date(), timezone.now().date())
    try:
        decision = customer_tax(customer=customer, on=on, rates=rates)
        tax, tax_label = net.percentage(decision.rate_bp), decision.label
    except TaxRateMissing:
        tax, tax_label = (
            Money.zero(net.currency),
            gettext("no tax rate in force: not invoiced until set"),
        )
    live = subscription.status in LIVE_STATUSES and not (
        subscription.cancel_at_period_end and subscription.status != SubscriptionStatus.PENDING
    )
    return ScheduleLine(
        subscription_id=subscription.pk,
        plan=subscription.plan.name,
        product=subscription.plan.product.name,
        status=subscription.status,
        status_label=subscription.get_status_display(),
        cycle=subscription.cycle,
        next_cycle=next_cycle,
        next_charge_at=subscription.next_invoice_at if live else None,
        net=net,
        tax=tax,
        gross=net + tax,
        cancel_at_period_end=subscription.cancel_at_period_end,
        tax_label=tax_label,
        terms=units_label(subscription.plan, subscription.quantity),
        scheduled=(
            f"{next_plan.name}, {units_label(next_plan, next_quantity)}"
            if subscription.has_scheduled_change
            else ""
        ),
    )


def _product_line(subscription: Subscription, today: date) -> ProductLine:
    product = subscription.plan.product
    bought = subscription.purchased_at
    return ProductLine(
        product_id=product.pk,
        name=product.name,
        plan=subscription.plan.name,
        released_on=product.released_on,
        age_days=(today - product.released_on).days,
        bought_at=bought,
        owned_days=(today - bought.date()).days,
        subscription_status=subscription.status,
    )


# The columns the view, its flags and the API read. Each query compiles and each row builds in
# time proportional to its columns (Django hashes every selected column to compile ORDER BY),
# and the joined plan, product and user rows are wide.
_SUBSCRIPTION_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "cycle",
    "pending_cycle",
    "amount_minor",
    "quantity",
    "currency",
    "cancel_at_period_end",
    "next_invoice_at",
    "purchased_at",
    "plan__name",
    "plan__unit_name",
    "plan__unit_name_plural",
    "plan__product__name",
    "plan__product__released_on",
    "pending_plan__name",
    "pending_plan__unit_name",
    "pending_plan__unit_name_plural",
    "pending_quantity",
)
_PLAN_CHANGE_COLUMNS = (
    "id",
    "subscription_id",
    "status",
    "from_quantity",
    "to_quantity",
    "to_cycle",
    "effective_at",
    "created_at",
    "from_plan",
    "to_plan",
    "invoice",
    "requested_by",
    "from_plan__name",
    "from_plan__unit_name",
    "from_plan__unit_name_plural",
    "to_plan__name",
    "to_plan__unit_name",
    "to_plan__unit_name_plural",
    "invoice__id",
    "invoice__number",
    "invoice__status",
    "requested_by__email",
)
_REQUEST_COLUMNS = (
    "id",
    "customer_id",
    "kind",
    "severity",
    "status",
    "summary",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "subscription__plan__product__name",
    "assignee__email",
)

_PAYMENT_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "code",
    "message",
    "description",
    "amount_minor",
    "currency",
    "invoice_reference",
    "created_at",
    "payment_method__last4",
)
_INVOICE_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "payment_state",
    "number",
    "issue_date",
    "due_date",
    "total_minor",
    "currency",
    "paid_at",
    "retry_stopped",
)

_NOTIFICATION_COLUMNS = ("id", "recipient_id", "kind", "subject", "channels", "created_at")
_ALERT_COLUMNS = (
    "id",
    "customer_id",
    "reason",
    "severity",
    "state",
    "message",
    "count",
    "last_seen_at",
)


def _subscriptions(customer: Customer) -> list[Subscription]:
    # The unit price of the next period (a scheduled plan or cycle applies then) rides along
    # as a column rather than a second query.
    next_price = PlanPrice.objects.filter(
        plan_id=Coalesce(OuterRef("pending_plan_id"), OuterRef("plan_id")),
        cycle=Coalesce(NullIf(OuterRef("pending_cycle"), Value("")), OuterRef("cycle")),
        currency=OuterRef("currency"),
    ).values("amount_minor")[:1]
    return list(
        Subscription.objects.filter(customer=customer)
        .select_related("plan__product", "pending_plan")
        .only(*_SUBSCRIPTION_COLUMNS)
        .annotate(next_price_minor=Subquery(next_price))
        .order_by("-purchased_at", "-id")
    )


def _requests(customer: Customer, limit: int) -> list[ServiceRequest]:
    """The newest requests, each with `sla_clocks` (all their clocks, one query for the list;
    the API shows them) and `sla_summary` (what the page shows of them)."""
    requests = service_requests_with_clocks(
        requests=ServiceRequest.objects.filter(customer=customer)
        .select_related("subscription__plan__product", "assignee")
        .only(*_REQUEST_COLUMNS)
        .order_by("-created_at", "-id")[:limit]
    )
    for request in requests:
        request.sla_summary = sla_summary(request.sla_clocks)
    return requests


def _payments(customer: Customer, limit: int) -> list[PaymentAttempt]:
    return list(
        PaymentAttempt.objects.filter(customer=customer)
        .select_related("payment_method")
        .only(*_PAYMENT_COLUMNS)
        .order_by("-created_at", "-id")[:limit]
    )


def _notifications(customer: Customer, limit: int) -> list[Notification]:
    deliveries = OutboxMessage.objects.only(
        "id", "notification_id", "channel", "status", "attempts", "sent_at", "last_error"
    ).order_by("channel")
    return list(
        Notification.objects.filter(recipient_id=customer.pk)
        .only(*_NOTIFICATION_COLUMNS)
        .prefetch_related(Prefetch("deliveries", queryset=deliveries))
        .order_by("-id")[:limit]
    )


def _open_alerts(customer: Customer) -> list[AdminAlert]:
    return list(
        AdminAlert.objects.filter(customer_id=customer.pk)
        .exclude(state=AlertState.RESOLVED)
        .only(*_ALERT_COLUMNS)
        .order_by("-last_seen_at", "-id")[:ALERTS_LIMIT]
    )


def _invoices(customer: Customer, limit: int) -> list[Invoice]:
    # Drafts are the bill run's work in progress, not something the customer was sent.
    invoices = (
        Invoice.objects.filter(customer=customer)
        .finalized()
        .only(*_INVOICE_COLUMNS)
        .annotate(dispute_flag=payment_dispute_flag(OuterRef("paid_attempt_id")))
    )
    return list(invoices.order_by("-id")[:limit])


def _plan_changes(customer: Customer, limit: int) -> list[PlanChange]:
    """Changes of plan, quantity or cycle made at once, with the invoice that paid for each
    (a change scheduled for the next period shows on the payment schedule until it applies)."""
    return list(
        PlanChange.objects.filter(subscription__customer=customer)
        .select_related("from_plan", "to_plan", "invoice", "requested_by")
        .only(*_PLAN_CHANGE_COLUMNS)
        .order_by("-created_at", "-id")[:limit]
    )


def _contracts(customer: Customer, limit: int, today: date) -> list[ContractLine]:
    contracts = (
        Contract.objects.filter(customer=customer)
        .only(*CONTRACT_LINE_COLUMNS)
        .order_by("-term_start", "-id")[:limit]
    )
    return [contract_line(contract=contract, today=today) for contract in contracts]


def customer_overview(
    *, customer: Customer, today: date | None = None, limit: int = HISTORY_LIMIT
) -> CustomerOverview:
    """Everything SysOps know about one customer, risky facts first, in a fixed number of
    queries (one per section; lists hold the newest `limit` rows).

    `customer` should come with its user loaded (customer_resolve does that). `today` (in the
    business time zone) is the day ages and expiry warnings are counted from.
    """
    today = today or timezone.localdate()
    card = card_facts(card=payment_method_active(customer=customer), today=today)
    subscriptions = _subscriptions(customer)
    requests = _requests(customer, limit)
    payments = _payments(customer, limit)
    disputes = payment_disputes_of(customer=customer, limit=limit)
    invoices = _invoices(customer, limit)
    contracts = _contracts(customer, limit, today)
    journey = journey_of(customer=customer)
    alerts = _open_alerts(customer)
    risks = risks_from(
        acceptance=customer_acceptance_flags(customer=customer, contracts=contracts),
        payments=payments,
        invoices=invoices,
        card=card,
        subscriptions=subscriptions,
        contracts=contracts,
        requests=requests,
        journey=journey,
        alerts=alerts,
        disputes=disputes,
        today=today,
        country=customer.country.code or "",
    )
    return CustomerOverview(
        customer=customer,
        today=today,
        risks=risks,
        contacts=list(customer.contacts.all()),
        card=card,
        schedule=_schedule(customer, subscriptions),
        products=[_product_line(s, today) for s in subscriptions],
        contracts=contracts,
        requests=requests,
        invoices=invoices,
        plan_changes=_plan_changes(customer, limit),
        payments=payments,
        disputes=disputes,
        notifications=_notifications(customer, limit),
        audit=audit_timeline_for_customer(customer_id=customer.pk, limit=limit),
        journey=journey,
        alerts=alerts,
        dunning_holds=customer_dunning_holds(customer_id=customer.pk),
        health=customer_health_card(customer_id=customer.pk),
        limit=limit,
    )
