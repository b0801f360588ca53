"""The health of a page of customers at once, for the search results.

Each result carries the flags the full customer view raises (risks.risks_from), computed
from the same kinds of rows, but loaded for the whole page in one query per kind: a page of
25 customers costs the same number of queries as a page of one.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from onboarding.acceptance.selectors import acceptance_flags_for
from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.billing.models import LIVE_STATUSES, Invoice, InvoiceStatus, Subscription
from onboarding.contracts.models import Contract
from onboarding.health.reads import HealthBrief, health_for_customers
from onboarding.journey.models import JourneyStep, StepState
from onboarding.payments.models import PaymentAttempt, PaymentMethod, PaymentMethodStatus
from onboarding.payments.selectors import payment_disputes_flagged_many
from onboarding.sysops.models import OPEN_STATUSES, ServiceRequest, Severity
from onboarding.sysops.overview import ALERTS_LIMIT, HISTORY_LIMIT
from onboarding.sysops.risks import (
    CONTRACT_LINE_COLUMNS,
    ContractLine,
    RiskFlag,
    card_facts,
    contract_line,
    risks_from,
)
from onboarding.sysops.search import (
    SEARCH_PAGE_SIZE,
    CustomerHit,
    CustomerSearchPage,
    customer_search,
)


@dataclass(frozen=True)
class CustomerHealth:
    subscriptions: list[Subscription]  # live ones, newest first
    contract: ContractLine | None  # the newest contract, whatever its state
    risks: list[RiskFlag]

    @property
    def red(self) -> bool:
        return any(risk.is_red for risk in self.risks)


@dataclass(frozen=True)
class CustomerHitWithHealth(CustomerHit):
    health: CustomerHealth | None = None
    score: HealthBrief | None = None  # the health score (onboarding.health), None until scored


# The columns the flags and the results table read; the rest of these rows (and the product
# behind each plan) would only cost compilation and row building.
_SUBSCRIPTION_COLUMNS = ("id", "customer_id", "status", "plan__name")
_CARD_COLUMNS = ("id", "customer_id", "brand", "last4", "exp_month", "exp_year")
_INVOICE_COLUMNS = ("id", "customer_id", "status", "payment_state", "number", "due_date")


def _newest(queryset: QuerySet, limit: int, *order: str) -> QuerySet:
    """At most `limit` rows per customer, newest first (a window, so one query for all)."""
    expressions = [F(name[1:]).desc() if name.startswith("-") else F(name).asc() for name in order]
    return (
        queryset.annotate(
            per_customer=Window(RowNumber(), partition_by=[F("customer_id")], order_by=expressions)
        )
        .filter(per_customer__lte=limit)
        .order_by("customer_id", *order)
    )


def _by_customer(rows) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row.customer_id].append(row)
    return grouped


def customer_health_many(
    *, customer_ids: list[int], today: date | None = None
) -> dict[int, CustomerHealth]:
    """Each customer's live plans, newest contract and risk flags, in eleven queries in all."""
    if not customer_ids:
        return {}
    today = today or timezone.localdate()
    ids = list(customer_ids)
    subscriptions = _by_customer(
        Subscription.objects.filter(customer_id__in=ids)
        .select_related("plan")
        .only(*_SUBSCRIPTION_COLUMNS)
        .order_by("customer_id", "-purchased_at", "-id")
    )
    cards = {
        card.customer_id: card
        for card in PaymentMethod.objects.filter(
            customer_id__in=ids, status=PaymentMethodStatus.ACTIVE
        ).only(*_CARD_COLUMNS)
    }
    payments = _by_customer(
        _newest(
            PaymentAttempt.objects.filter(customer_id__in=ids).only(
                "id",
                "customer_id",
                "status",
                "code",
                "message",
                "amount_minor",
                "currency",
                "created_at",
            ),
            HISTORY_LIMIT,
            "-created_at",
            "-id",
        )
    )
    # Only an open or uncollectible invoice can be overdue; the rest cannot raise a flag.
    invoices = _by_customer(
        _newest(
            Invoice.objects.filter(customer_id__in=ids)
            .finalized()
            .filter(status__in=[InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE])
            .only(*_INVOICE_COLUMNS),
            HISTORY_LIMIT,
            "-id",
        )
    )
    contracts = {
        customer_id: [contract_line(contract=contract, today=today) for contract in rows]
        for customer_id, rows in _by_customer(
            _newest(
                Contract.objects.filter(customer_id__in=ids).only(*CONTRACT_LINE_COLUMNS),
                HISTORY_LIMIT,
                "-term_start",
                "-id",
            )
        ).items()
    }
    acceptance: dict[int, list[RiskFlag]] = defaultdict(list)
    contract_ids = [line.contract_id for lines in contracts.values() for line in lines]
    for flag in acceptance_flags_for(contract_ids=contract_ids):
        acceptance[flag.contract.customer_id].append(
            RiskFlag(f"acceptance_{flag.level}", flag.level, flag.message, "contracts")
        )
    # Only open critical or high requests raise a flag.
    requests = _by_customer(
        ServiceRequest.objects.filter(
            customer_id__in=ids,
            status__in=OPEN_STATUSES,
            severity__in=[Severity.CRITICAL, Severity.HIGH],
        )
        .only("id", "customer_id", "severity", "status", "summary")
        .order_by("customer_id", "-created_at", "-id")
    )
    # Only an open or a lost dispute raises a flag.
    disputes = _by_customer(payment_disputes_flagged_many(customer_ids=ids))
    journey = _by_customer(
        JourneyStep.objects.filter(customer_id__in=ids, state=StepState.FAILED)
        .only("id", "customer_id", "step", "position", "state", "failure_reason")
        .order_by("customer_id", "position")
    )
    alerts = _by_customer(
        _newest(
            # Only counted: a flag says how many.
            AdminAlert.objects.filter(customer_id__in=ids)
            .exclude(state=AlertState.RESOLVED)
            .only("id", "customer_id"),
            ALERTS_LIMIT,
            "-last_seen_at",
            "-id",
        )
    )
    health = {}
    for customer_id in ids:
        owned = subscriptions.get(customer_id, [])
        lines = contracts.get(customer_id, [])
        health[customer_id] = CustomerHealth(
            subscriptions=[s for s in owned if s.status in LIVE_STATUSES],
            contract=lines[0] if lines else None,
            risks=risks_from(
                acceptance=acceptance.get(customer_id, []),
                payments=payments.get(customer_id, []),
                invoices=invoices.get(customer_id, []),
                card=card_facts(card=cards.get(customer_id), today=today),
                subscriptions=owned,
                contracts=lines,
                requests=requests.get(customer_id, []),
                journey=journey.get(customer_id, []),
                alerts=alerts.get(customer_id, []),
                disputes=disputes.get(customer_id, []),
                today=today,
            ),
        )
    return health


def customer_search_with_health(
    *, query: str, page: int = 1, size: int = SEARCH_PAGE_SIZE, today: date | None = None
) -> CustomerSearchPage:
    """customer_search, each hit with its CustomerHealth and its health score: fourteen queries
    for any page."""
    results = customer_search(query=query, page=page, size=size)
    if not results.hits:
        return results
    health = customer_health_many(
        customer_ids=[hit.customer.pk for hit in results.hits], today=today
    )
    scores = health_for_customers(customer_ids=[hit.customer.pk for hit in results.hits])
    hits = [
        CustomerHitWithHealth(
            hit.customer, hit.rank, health.get(hit.customer.pk), scores.get(hit.customer.pk)
        )
        for hit in results.hits
    ]
    return replace(results, hits=hits)
