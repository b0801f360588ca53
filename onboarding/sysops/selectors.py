"""Reads for the back office: customer search, the full customer view, the request queue.

`customer_overview` is the one read behind the full customer view, as a page and as an API
call (and the manager's contract page reuses it). It runs a fixed number of queries however
long the customer's history is: one per section, each bounded by `limit` newest rows.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from onboarding.acceptance.selectors import acceptance_flags_for
from onboarding.accounts.models import Contact, Customer, User
from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.audit.models import AuditEntry
from onboarding.audit.selectors import audit_timeline_for_customer
from onboarding.billing.models import (
    LIVE_STATUSES,
    PAYMENT_FAILED,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
)
from onboarding.catalog.models import PlanPrice
from onboarding.contracts.models import IN_FORCE_STATES, Contract, ContractState
from onboarding.core.access import get_visible_or_404, visible_to
from onboarding.core.money import Money
from onboarding.core.numbers import parse_query_int
from onboarding.core.roles import STAFF_ROLES, Role
from onboarding.journey.models import JourneyStep, StepState
from onboarding.journey.selectors import journey_of
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.payments.models import PaymentAttempt, PaymentMethod, PaymentStatus
from onboarding.payments.selectors import payment_method_active
from onboarding.sysops.models import (
    OPEN_STATUSES,
    RequestStatus,
    ServiceRequest,
    ServiceRequestUpdate,
    Severity,
)

HISTORY_LIMIT = 50
CARD_WARNING_DAYS = 30
CONTRACT_WARNING_DAYS = 60

# --- Customer search ---------------------------------------------------------------------------

SEARCH_PAGE_SIZE = 25
SEARCH_MIN_LENGTH = 3
# Each way of matching contributes at most this many customers: a search that matches more
# asks for a narrower query instead of sorting a hundred thousand rows.
SEARCH_BRANCH_CAP = 200
_REFERENCE = re.compile(r"^(?:cus-?|#)([0-9]{1,18})$", re.IGNORECASE)  # ASCII digits only
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{4,}$")


@dataclass(frozen=True)
class CustomerHit:
    customer: Customer
    rank: int  # 0 exact (email, reference, invoice or contract number), 1 prefix, 2 contains


@dataclass(frozen=True)
class CustomerSearchPage:
    query: str
    hits: list[CustomerHit]
    page: int
    size: int
    total: int  # matches found, at most about SEARCH_BRANCH_CAP per way of matching
    capped: bool  # True when there may be more matches than `total`
    too_short: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _search_numbered() -> list[tuple[str, str, str]]:
    """(table, number column, customer column) of the documents found by their exact number:
    invoices (INV-2026-000123) and contracts (CTR-2026-000042), by their unique indexes."""
    return [
        (_table(model), "number", model._meta.get_field("customer").column)
        for model in (Invoice, Contract)
    ]


def _search_branches(query: str) -> tuple[list[str], list[Any]]:
    """SQL for each way a customer can match, each giving (customer id, rank).

    Only table and column names from the models' meta are put into the SQL text; everything the
    user typed is a parameter (hence the S608 waivers below). The substring matches on one table
    share a branch (PostgreSQL ORs their indexes in one bitmap), and a user is known to be a
    customer by its role, which needs no join.
    """
    user, customer = _table(User), _table(Customer)
    branches: list[str] = []
    params: list[Any] = []

    def branch(select: str, *values: Any) -> None:
        # Wrapped in a subquery so the LIMIT is legal inside UNION ALL on SQLite as well.
        number = len(branches)
        branches.append(f"SELECT id, r FROM ({select} LIMIT {SEARCH_BRANCH_CAP}) AS b{number}")  # noqa: S608
        params.extend(values)

    reference = _REFERENCE.match(query)
    if reference:
        by_id = f"SELECT c.user_id AS id, 0 AS r FROM {customer} c WHERE c.user_id = %s"  # noqa: S608
        branch(by_id, int(reference.group(1)))
    by_email = f"SELECT u.id AS id, 0 AS r FROM {user} u WHERE u.email = %s AND u.role = %s"  # noqa: S608
    branch(by_email, query, Role.CUSTOMER.value)
    if looks_like_email(query):
        # A whole address is looked up exactly: a substring search for it would read the
        # posting lists of its most common trigrams ("com", "@gm") for nothing.
        return branches, params
    for table, number, owner in _search_numbered():
        exact = f"SELECT {owner} AS id, 0 AS r FROM {table} WHERE {number} IN (%s, %s)"  # noqa: S608
        branch(exact, query, query.upper())
    if len(query) < SEARCH_MIN_LENGTH:
        return branches, params
    contains, prefix = f"%{_like_escape(query)}%", f"{_like_escape(query)}%"
    # Each expression is exactly the one migration 0002 indexes, or PostgreSQL scans.
    email, name = "lower(u.email)", "lower(u.first_name || ' ' || u.last_name)"
    like = "LIKE %s ESCAPE '\\'"
    users = (
        f"SELECT u.id AS id, CASE WHEN {email} {like} OR {name} {like} THEN 1 ELSE 2 END AS r "  # noqa: S608
        f"FROM {user} u WHERE u.role = %s AND ({email} {like} OR {name} {like})"
    )
    branch(users, prefix, prefix, Role.CUSTOMER.value, contains, contains)
    company = "lower(c.company)"
    where, values = f"{company} {like}", [contains]
    digits = re.sub(r"\D", "", query).lstrip("0")
    if _PHONE_LIKE.match(query) and len(digits) >= SEARCH_MIN_LENGTH:
        # Stored as E.164 (+441179460000): the national number's digits without the trunk 0.
        where, values = f"{where} OR c.phone LIKE %s", [contains, f"%{digits}%"]
    companies = (
        f"SELECT c.user_id AS id, CASE WHEN {company} {like} THEN 1 ELSE 2 END AS r "  # noqa: S608
        f"FROM {customer} c WHERE {where}"
    )
    branch(companies, prefix, *values)
    return branches, params


def looks_like_email(text: str) -> bool:
    try:
        validate_email(text.strip())
    except ValidationError:
        return False
    return True


def normalise_query(text: str) -> str:
    # NUL cannot reach PostgreSQL in a string; nobody types one on purpose.
    return " ".join((text or "").replace("\x00", "").split()).lower()[:100]


def customer_search(
    *, query: str, page: int = 1, size: int = SEARCH_PAGE_SIZE
) -> CustomerSearchPage:
    """Customers matching `query` by name, email, company, phone (substring), or exactly by
    email, reference (CUS-000042), invoice number or contract number. Exact matches first, then
    prefix matches, then the rest, newest customer first within each. Two queries.

    On PostgreSQL the substring matches use the trigram indexes of migration 0002; on SQLite
    they scan, which is fine at the sizes SQLite is used for.
    """
    query = normalise_query(query)
    page = max(1, page)
    size = max(1, min(size, 100))
    if len(query) < SEARCH_MIN_LENGTH and not _REFERENCE.match(query):
        return CustomerSearchPage(query, [], page, size, 0, False, too_short=bool(query))
    branches, params = _search_branches(query)
    union = " UNION ALL ".join(branches)
    sql = (
        f"SELECT id, MIN(r) AS r, COUNT(*) OVER () AS total FROM ({union}) AS hits "  # noqa: S608
        "GROUP BY id ORDER BY MIN(r), id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, size, (page - 1) * size])
        rows = cursor.fetchall()
    total = int(rows[0][2]) if rows else 0
    if not rows and page > 1:
        return customer_search(query=query, page=1, size=size)
    customers = Customer.objects.select_related("user").in_bulk([row[0] for row in rows])
    hits = [CustomerHit(customers[row[0]], int(row[1])) for row in rows if row[0] in customers]
    return CustomerSearchPage(
        query=query,
        hits=hits,
        page=page,
        size=size,
        total=total,
        capped=total >= SEARCH_BRANCH_CAP,
    )


# --- The full customer view --------------------------------------------------------------------


@dataclass(frozen=True)
class RiskFlag:
    """A fact an engineer must see first. `level` is "red" (act now) or "yellow" (watch)."""

    code: str
    level: str
    message: str
    anchor: str = ""  # the section of the page that explains it

    @property
    def is_red(self) -> bool:
        return self.level == "red"

    @property
    def label(self) -> str:
        """A few words for a badge where the whole message does not fit (search results)."""
        return RISK_LABELS.get(self.code, self.code.replace("_", " ").capitalize())


RISK_LABELS = {
    "acceptance_red": "Acceptance red",
    "acceptance_yellow": "Acceptance yellow",
    "payment_failed": "Payment failed",
    "payment_unknown": "Payment unknown",
    "invoice_overdue": "Invoice overdue",
    "no_card": "No card",
    "card_expired": "Card expired",
    "card_expiring": "Card expiring",
    "contract_expired": "Contract expired",
    "contract_expiring": "Contract expiring",
    "subscription_past_due": "Past due",
    "request_critical": "Critical request",
    "request_high": "High request",
    "journey_failed": "Onboarding failed",
    "open_alerts": "Open alerts",
}


@dataclass(frozen=True)
class CardFacts:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    expires_on: date
    days_left: int
    expired: bool
    expires_soon: bool


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


@dataclass(frozen=True)
class ContractLine:
    contract_id: int
    number: str
    status: str
    status_label: str
    product: str
    plan: str
    starts_on: date
    ends_on: date
    issued_on: date | None
    age_days: int | None  # since the contract was issued; None before it is
    days_left: int  # until the term ends; negative after
    expired: bool
    expiring_soon: bool
    row: Contract | None = None  # the contract itself, for pages that need more


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
    payments: list[PaymentAttempt]
    notifications: list[Notification]
    audit: list[AuditEntry]
    journey: list[JourneyStep]
    alerts: list[AdminAlert]
    limit: int = HISTORY_LIMIT

    @property
    def red_risks(self) -> list[RiskFlag]:
        return [risk for risk in self.risks if risk.is_red]

    @property
    def open_requests(self) -> list[ServiceRequest]:
        return [request for request in self.requests if request.is_open]


def _day(value: date | datetime) -> str:
    """A day as every page writes it (DATE_FORMAT), a moment on its local day."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return date_format(value)


def _days(later: date, earlier: date) -> int:
    return (later - earlier).days


def _card_facts(card: PaymentMethod | None, today: date) -> CardFacts | None:
    if card is None:
        return None
    expires_on = card.expires_on
    return CardFacts(
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        expires_on=expires_on,
        days_left=_days(expires_on, today),
        expired=expires_on < today,
        expires_soon=card.expires_within(CARD_WARNING_DAYS, today=today),
    )


def _schedule_line(subscription: Subscription) -> ScheduleLine:
    next_cycle = subscription.pending_cycle or subscription.cycle
    net = subscription.price
    if subscription.pending_cycle:
        # The next period is billed at the plan's price for the new cycle (prefetched).
        price: PlanPrice | None = next(
            (p for p in subscription.plan.prices.all() if p.cycle == next_cycle), None
        )
        if price is not None:
            net = Money(price.amount_minor, subscription.currency)
    tax = net.percentage(subscription.tax_rate_bp)
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
    )


def _product_line(subscription: Subscription, today: date) -> ProductLine:
    product = subscription.plan.product
    bought = subscription.purchased_at
    return ProductLine(
        product_id=product.pk,
        name=product.name,
        plan=subscription.plan.name,
        released_on=product.released_on,
        age_days=_days(today, product.released_on),
        bought_at=bought,
        owned_days=_days(today, bought.date()),
        subscription_status=subscription.status,
    )


def _subscriptions(customer: Customer) -> list[Subscription]:
    return list(
        Subscription.objects.filter(customer=customer)
        .select_related("plan__product")
        .prefetch_related(Prefetch("plan__prices", queryset=PlanPrice.objects.order_by("cycle")))
        .order_by("-purchased_at", "-id")
    )


def _requests(customer: Customer, limit: int) -> list[ServiceRequest]:
    return list(
        ServiceRequest.objects.filter(customer=customer)
        .select_related("subscription__plan__product", "assignee")
        .order_by("-created_at", "-id")[:limit]
    )


def _payments(customer: Customer, limit: int) -> list[PaymentAttempt]:
    return list(
        PaymentAttempt.objects.filter(customer=customer)
        .select_related("payment_method")
        .order_by("-created_at", "-id")[:limit]
    )


def _notifications(customer: Customer, limit: int) -> list[Notification]:
    deliveries = OutboxMessage.objects.only(
        "id", "notification_id", "channel", "status", "attempts", "sent_at", "last_error"
    ).order_by("channel")
    return list(
        Notification.objects.filter(recipient_id=customer.pk)
        .defer("body_text", "body_html")
        .prefetch_related(Prefetch("deliveries", queryset=deliveries))
        .order_by("-id")[:limit]
    )


def _open_alerts(customer: Customer) -> list[AdminAlert]:
    return list(
        AdminAlert.objects.filter(customer_id=customer.pk)
        .exclude(state=AlertState.RESOLVED)
        .order_by("-last_seen_at", "-id")[:10]
    )


def customer_acceptance_flags(
    *, customer: Customer, contracts: list[ContractLine]
) -> list[RiskFlag]:
    """One flag per contract in force whose acceptance needs someone: red or yellow ratings,
    requirements not captured or rated, a green acceptance nobody acknowledged in time."""
    flags = acceptance_flags_for(contract_ids=[line.contract_id for line in contracts])
    return [RiskFlag(f"acceptance_{f.level}", f.level, f.message, "contracts") for f in flags]


def _payment_risks(payments: list[PaymentAttempt], today: date) -> list[RiskFlag]:
    risks = []
    settled = [p for p in payments if p.status != PaymentStatus.PENDING]
    latest = settled[0] if settled else None
    if latest is not None and latest.status in (PaymentStatus.DECLINED, PaymentStatus.FAILED):
        reason = (latest.message or latest.code or latest.get_status_display()).rstrip(".")
        risks.append(
            RiskFlag(
                "payment_failed",
                "red",
                f"Last payment failed on {_day(latest.created_at)}: {latest.amount} ({reason}).",
                "payments",
            )
        )
    if any(p.status == PaymentStatus.UNKNOWN for p in payments):
        risks.append(
            RiskFlag(
                "payment_unknown",
                "yellow",
                "A payment's outcome is unknown; the reconciler is asking the gateway.",
                "payments",
            )
        )
    return risks


def _card_risks(
    card: CardFacts | None, subscriptions: list[Subscription], today: date
) -> list[RiskFlag]:
    live = any(s.status in LIVE_STATUSES for s in subscriptions)
    if card is None:
        if live:
            return [RiskFlag("no_card", "red", "No card on file for a live subscription.", "card")]
        return []
    label = f"{card.brand.title()} •••• {card.last4}"
    if card.expired:
        expired = f"{label} expired on {_day(card.expires_on)}."
        return [RiskFlag("card_expired", "red", expired, "card")]
    if card.expires_soon:
        return [
            RiskFlag(
                "card_expiring",
                "yellow",
                f"{label} expires on {_day(card.expires_on)} (in {card.days_left} days).",
                "card",
            )
        ]
    return []


def _invoice_risks(invoices: list[Invoice], today: date) -> list[RiskFlag]:
    overdue = [invoice for invoice in invoices if invoice_is_overdue(invoice=invoice, today=today)]
    if not overdue:
        return []
    numbers = ", ".join(str(invoice) for invoice in overdue[:3])
    more = f" and {len(overdue) - 3} more" if len(overdue) > 3 else ""
    return [RiskFlag("invoice_overdue", "red", f"Overdue: {numbers}{more}.", "invoices")]


def _contract_risks(contracts: list[ContractLine]) -> list[RiskFlag]:
    risks = []
    for contract in contracts:
        if contract.expired:
            risks.append(
                RiskFlag(
                    "contract_expired",
                    "yellow",
                    f"Contract {contract.number} expired on {_day(contract.ends_on)}.",
                    "contracts",
                )
            )
        elif contract.expiring_soon:
            risks.append(
                RiskFlag(
                    "contract_expiring",
                    "yellow",
                    f"Contract {contract.number} expires on {_day(contract.ends_on)} "
                    f"(in {contract.days_left} days).",
                    "contracts",
                )
            )
    return risks


def _other_risks(
    subscriptions: list[Subscription],
    requests: list[ServiceRequest],
    journey: list[JourneyStep],
    alerts: list[AdminAlert],
) -> list[RiskFlag]:
    risks = [
        RiskFlag(
            "subscription_past_due",
            "red",
            f"{s.plan.name} is past due.",
            "schedule",
        )
        for s in subscriptions
        if s.status == SubscriptionStatus.PAST_DUE
    ]
    for request in requests:
        if request.is_open and request.severity == Severity.CRITICAL:
            risks.append(
                RiskFlag(
                    "request_critical",
                    "red",
                    f"Critical request open: {request.reference} {request.summary}",
                    "requests",
                )
            )
        elif request.is_open and request.severity == Severity.HIGH:
            risks.append(
                RiskFlag(
                    "request_high",
                    "yellow",
                    f"High-severity request open: {request.reference} {request.summary}",
                    "requests",
                )
            )
    risks.extend(
        RiskFlag(
            "journey_failed",
            "yellow",
            f"Onboarding step failed: {step.get_step_display()}"
            + (f" ({step.failure_reason})" if step.failure_reason else ""),
            "journey",
        )
        for step in journey
        if step.state == StepState.FAILED
    )
    if alerts:
        risks.append(
            RiskFlag(
                "open_alerts",
                "yellow",
                f"{len(alerts)} unresolved admin alert(s) about this customer.",
                "alerts",
            )
        )
    return risks


def risks_from(
    *,
    acceptance: list[RiskFlag],
    payments: list[PaymentAttempt],
    invoices: list[Invoice],
    card: CardFacts | None,
    subscriptions: list[Subscription],
    contracts: list[ContractLine],
    requests: list[ServiceRequest],
    journey: list[JourneyStep],
    alerts: list[AdminAlert],
    today: date,
) -> list[RiskFlag]:
    """One customer's risky facts, reds first: the full view and the search results (which
    load the same rows for a page of customers at once) both flag through here."""
    risks = [
        *acceptance,
        *_payment_risks(payments, today),
        *_invoice_risks(invoices, today),
        *_card_risks(card, subscriptions, today),
        *_contract_risks(contracts),
        *_other_risks(subscriptions, requests, journey, alerts),
    ]
    risks.sort(key=lambda risk: 0 if risk.is_red else 1)  # stable: reds first, order kept
    return risks


def customer_overview(
    *, customer: Customer, today: date | None = None, limit: int = HISTORY_LIMIT
) -> CustomerOverview:
    """Everything SysOps know about one customer, risky facts first, in a fixed number of
    queries (one per section; lists hold the newest `limit` rows).

    `customer` should come with its user loaded (customer_resolve does that). `today` (in the
    business time zone) is the day ages and expiry warnings are counted from.
    """
    today = today or timezone.localdate()
    card = _card_facts(payment_method_active(customer=customer), today)
    subscriptions = _subscriptions(customer)
    requests = _requests(customer, limit)
    payments = _payments(customer, limit)
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
        today=today,
    )
    return CustomerOverview(
        customer=customer,
        today=today,
        risks=risks,
        contacts=list(customer.contacts.all()),
        card=card,
        schedule=[_schedule_line(s) for s in subscriptions if s.status in LIVE_STATUSES],
        products=[_product_line(s, today) for s in subscriptions],
        contracts=contracts,
        requests=requests,
        invoices=invoices,
        payments=payments,
        notifications=_notifications(customer, limit),
        audit=audit_timeline_for_customer(customer_id=customer.pk, limit=limit),
        journey=journey,
        alerts=alerts,
        limit=limit,
    )


# --- Invoices and contracts (issues 4 and 5) ---------------------------------------------------


def _invoices(customer: Customer, limit: int) -> list[Invoice]:
    # Drafts are the bill run's work in progress, not something the customer was sent.
    return list(Invoice.objects.filter(customer=customer).finalized().order_by("-id")[:limit])


def invoice_is_overdue(*, invoice: Invoice, today: date) -> bool:
    """Open past its due date or after a failed charge, or given up on (uncollectible)."""
    if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        return True
    return invoice.status == InvoiceStatus.OPEN and (
        (invoice.due_date is not None and invoice.due_date < today)
        or invoice.payment_state in PAYMENT_FAILED
    )


def _contract_line(contract: Contract, today: date) -> ContractLine:
    ends_on = contract.ends_on
    days_left = contract.days_left(today=today)
    in_force = contract.state in IN_FORCE_STATES
    return ContractLine(
        contract_id=contract.pk,
        number=contract.number or f"#{contract.pk} (not numbered)",
        status=contract.state,
        status_label=contract.get_state_display(),
        product=contract.product_name,
        plan=contract.plan_name,
        starts_on=contract.term_start.date(),
        ends_on=ends_on,
        issued_on=contract.issued_on,
        age_days=contract.days_since_issue(today=today),
        days_left=days_left,
        expired=contract.state == ContractState.EXPIRED or (in_force and days_left < 0),
        expiring_soon=in_force and 0 <= days_left <= CONTRACT_WARNING_DAYS,
        row=contract,
    )


def _contracts(customer: Customer, limit: int, today: date) -> list[ContractLine]:
    contracts = Contract.objects.filter(customer=customer).order_by("-term_start", "-id")[:limit]
    return [_contract_line(contract, today) for contract in contracts]


# --- Service requests --------------------------------------------------------------------------

QUEUE_PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"  # "open" (new, in progress, waiting), "" (all), or one status
    severity: str = ""
    assignee: str = ""  # "", "me", "none", or a staff user's id


def service_request_queue(*, user: User, filters: QueueFilters | None = None) -> QuerySet:
    """The staff queue: most urgent first, then oldest first (who has waited longest)."""
    filters = filters or QueueFilters()
    queryset = visible_to(user, ServiceRequest.objects.all()).select_related(
        "customer__user", "subscription__plan__product", "assignee"
    )
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status in RequestStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.severity in Severity.values:
        queryset = queryset.filter(severity=filters.severity)
    if filters.assignee == "me":
        queryset = queryset.filter(assignee=user)
    elif filters.assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif (assignee_id := parse_query_int(filters.assignee, minimum=1)) is not None:
        queryset = queryset.filter(assignee_id=assignee_id)
    return queryset.order_by("severity_rank", "created_at", "id")


def service_request_get(*, user: User, request_id: int) -> ServiceRequest:
    """One request `user` may see (their own, or any for staff), else Http404."""
    return get_visible_or_404(
        user,
        ServiceRequest.objects.select_related(
            "customer__user", "subscription__plan__product", "assignee", "opened_by"
        ),
        pk=request_id,
    )


def service_request_updates(*, user: User, request: ServiceRequest) -> list[ServiceRequestUpdate]:
    """The request's history as `user` may see it: customers never see internal notes."""
    updates = visible_to(user, ServiceRequestUpdate.objects.filter(request=request))
    if not user.is_staff_role:
        updates = updates.filter(internal=False)
    return list(updates.select_related("author", "assignee").order_by("created_at", "id"))


def service_requests_of(*, customer: Customer) -> list[ServiceRequest]:
    return list(
        ServiceRequest.objects.filter(customer=customer)
        .select_related("subscription__plan__product", "assignee")
        .order_by("-created_at", "-id")
    )


def request_subscriptions_of(*, customer: Customer) -> list[Subscription]:
    """The subscriptions a customer may open a request for: the live ones."""
    return list(
        Subscription.objects.filter(customer=customer, status__in=LIVE_STATUSES)
        .select_related("plan__product")
        .order_by("plan__product__name", "plan__name")
    )


def staff_assignees() -> list[User]:
    return list(
        User.objects.filter(role__in=STAFF_ROLES, is_active=True)
        .order_by("email")
        .only("id", "email", "first_name", "last_name", "role")
    )


def service_request_overdue_count(*, now: datetime | None = None) -> int:
    """New requests nobody has answered within their plan's first-response time.

    The response times in use are few (one per plan), so the deadline is one condition per
    distinct time: two queries, with no date arithmetic the databases spell differently.
    """
    now = now or timezone.now()
    hours = (
        ServiceRequest.objects.filter(status=RequestStatus.NEW)
        .order_by()  # the model's ordering would make DISTINCT one row per request
        .values_list("subscription__plan__response_time_hours", flat=True)
        .distinct()
    )
    late = Q()
    for h in hours:
        late |= Q(
            subscription__plan__response_time_hours=h, created_at__lt=now - timedelta(hours=h)
        )
    if not late:
        return 0
    return ServiceRequest.objects.filter(late, status=RequestStatus.NEW).count()
