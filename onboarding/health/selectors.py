"""Reads for the health score: each factor's inputs for one customer in a fixed number of
queries (seven, whatever the customer has), the moment a factor next changes by time alone, and
what pages show (the current score, its history, the settings)."""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from onboarding.acceptance.models import LIVE_REVIEW_STATES, Rating, Review, ReviewState
from onboarding.billing.models import (
    PAYABLE_STATUSES,
    PAYMENT_FAILED,
    Invoice,
    InvoiceStatus,
    PaymentState,
)
from onboarding.contracts.models import IN_FORCE_STATES, Contract, ContractState
from onboarding.health.models import (
    LIVE_HEALTH_REVIEW_STATES,
    CustomerHealth,
    CustomerHealthSnapshot,
    HealthReview,
    HealthSettings,
)
from onboarding.health.scoring import (
    AcceptanceInputs,
    CardInputs,
    ContractInputs,
    EngagementInputs,
    HealthInputs,
    PaymentInputs,
    ServiceInputs,
)
from onboarding.notifications.models import InboxMessage
from onboarding.payments.models import PaymentMethod, PaymentMethodStatus
from onboarding.sla.models import ClockKind, SlaClock

# The subject type of a repair or troubleshoot request's clocks (sysops.ServiceRequest, a floor
# above: named by its label, as the clocks themselves name it).
REQUEST_SUBJECT = "sysops.servicerequest"
BREACH_WINDOW = dt.timedelta(days=90)
TREND_WINDOW = dt.timedelta(days=30)

# The day counts at which a factor's share steps up (scoring.py): review_at is the next one.
OVERDUE_STEPS = (1, 15, 31)  # days past the due date
ACCEPTANCE_STEPS = (7, 14, 21)  # days a yellow or red waits for a manager
UNACKNOWLEDGED_STEPS = (15, 31)  # days a sent contract waits for the customer
EXPIRY_STEPS = (90, 30)  # days before the term's end
CARD_STEPS = (29, -1)  # days before the card's expiry date (-1: the day after it)
SIGN_IN_STEPS = (31, 61, 91)  # days since the last sign-in


@dataclass(frozen=True)
class HealthReading:
    inputs: HealthInputs
    review_at: dt.datetime | None


def health_settings() -> HealthSettings:
    """The weights and bands: the saved row, or the defaults before an admin saves one."""
    return HealthSettings.objects.filter(pk=1).first() or HealthSettings(pk=1)


def _midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the business time zone, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _card_expires_on(exp_month: int, exp_year: int) -> dt.date:
    return dt.date(exp_year, exp_month, calendar.monthrange(exp_year, exp_month)[1])


def _payment(invoices: list[dict], today: dt.date, moments: list) -> PaymentInputs:
    overdue_days = []
    for invoice in invoices:
        due = invoice["due_date"]
        if due is None:
            continue
        late = (today - due).days
        if late >= 1:
            overdue_days.append(late)
        moments.extend(_midnight(due + dt.timedelta(days=step)) for step in OVERDUE_STEPS)
    states = [i["payment_state"] for i in invoices]
    return PaymentInputs(
        open_count=len(invoices),
        overdue_count=len(overdue_days),
        oldest_overdue_days=max(overdue_days, default=0),
        failed_count=sum(1 for s in states if s in PAYMENT_FAILED),
        action_required_count=states.count(PaymentState.ACTION_REQUIRED),
        uncollectible_count=sum(1 for i in invoices if i["status"] == InvoiceStatus.UNCOLLECTIBLE),
    )


def _acceptance(reviews: list[dict], now: dt.datetime, moments: list) -> AcceptanceInputs:
    if not reviews:
        return AcceptanceInputs()
    worst = Rating.RED if any(r["rating"] == Rating.RED for r in reviews) else Rating.YELLOW
    waiting = [r for r in reviews if r["rating"] == worst and r["state"] == ReviewState.OPEN]
    if not waiting:
        return AcceptanceInputs(worst=str(worst))
    opened = min(r["opened_at"] for r in waiting)
    moments.extend(opened + dt.timedelta(days=step) for step in ACCEPTANCE_STEPS)
    return AcceptanceInputs(worst=str(worst), unacknowledged_days=(now - opened).days)


def _contract(contracts: list[dict], now: dt.datetime, today, moments: list) -> ContractInputs:
    if not contracts:
        return ContractInputs()
    in_force = [c for c in contracts if c["state"] in IN_FORCE_STATES]
    if not in_force:
        ended = [c["term_end"] for c in contracts if c["state"] == ContractState.EXPIRED]
        last = max(ended, default=None)
        return ContractInputs(has_any=True, ended_on=timezone.localdate(last) if last else None)
    latest = max(in_force, key=lambda c: c["term_end"])
    unacknowledged = None
    sent = [c for c in in_force if c["state"] == ContractState.SENT and c["sent_at"]]
    if sent:
        since = min(c["sent_at"] for c in sent)
        unacknowledged = (now - since).days
        moments.extend(since + dt.timedelta(days=step) for step in UNACKNOWLEDGED_STEPS)
    ends_on = timezone.localdate(latest["term_end"])
    moments.extend(_midnight(ends_on - dt.timedelta(days=step)) for step in EXPIRY_STEPS)
    return ContractInputs(
        has_any=True,
        in_force=True,
        unacknowledged_days=unacknowledged,
        days_to_expiry=(ends_on - today).days,
        cancel_at_period_end=any(c["subscription__cancel_at_period_end"] for c in in_force),
    )


def _service(clocks: list[dict], now: dt.datetime, moments: list) -> ServiceInputs:
    counts = {"critical": 0, "high": 0, "normal": 0, "low": 0}
    breaches = 0
    for row in clocks:
        if row["kind"] == ClockKind.RESOLUTION and row["stopped_at"] is None:
            counts[row["severity"]] = counts.get(row["severity"], 0) + 1
        if row["breached_at"] is not None and row["breached_at"] > now - BREACH_WINDOW:
            breaches += 1
            moments.append(row["breached_at"] + BREACH_WINDOW)
    return ServiceInputs(breaches_90_days=breaches, **counts)


def _card(card: dict | None, invoices_to_pay: int, today, moments: list) -> CardInputs:
    if card is None:
        return CardInputs(invoices_to_pay=invoices_to_pay)
    expires_on = _card_expires_on(card["exp_month"], card["exp_year"])
    moments.extend(_midnight(expires_on - dt.timedelta(days=step)) for step in CARD_STEPS)
    return CardInputs(
        on_file=True,
        days_to_expiry=(expires_on - today).days,
        expires_on=expires_on,
        invoices_to_pay=invoices_to_pay,
    )


def _engagement(user: dict, unread: int, now: dt.datetime, moments: list) -> EngagementInputs:
    last = user["last_login"]
    since = last or user["date_joined"]
    moments.extend(since + dt.timedelta(days=step) for step in SIGN_IN_STEPS)
    return EngagementInputs(
        days_since_sign_in=(now - last).days if last else None,
        days_since_joined=(now - user["date_joined"]).days,
        unread_notices=unread,
    )


def health_reading(*, customer_id: int, now: dt.datetime) -> HealthReading:
    """Every factor's inputs for `customer_id` at `now`, and the next moment after `now` at
    which one of them changes by time alone (None: none will). Seven queries."""
    today = timezone.localdate(now)
    moments: list[dt.datetime] = []
    invoices = list(
        Invoice.objects.filter(customer_id=customer_id, status__in=PAYABLE_STATUSES).values(
            "status", "due_date", "payment_state"
        )
    )
    reviews = list(
        Review.objects.filter(
            contract__customer_id=customer_id,
            contract__state__in=IN_FORCE_STATES,
            state__in=LIVE_REVIEW_STATES,
            rating__in=(Rating.RED, Rating.YELLOW),
        ).values("rating", "state", "opened_at")
    )
    contracts = list(
        Contract.objects.filter(customer_id=customer_id)
        .exclude(state__in=(ContractState.DRAFT, ContractState.ISSUED))
        .values("state", "sent_at", "term_end", "subscription__cancel_at_period_end")
    )
    clocks = list(
        SlaClock.objects.filter(customer_id=customer_id, subject_type=REQUEST_SUBJECT)
        .filter(
            Q(kind=ClockKind.RESOLUTION, stopped_at__isnull=True)
            | Q(breached_at__gt=now - BREACH_WINDOW)
        )
        .values("kind", "severity", "stopped_at", "breached_at")
    )
    card = (
        PaymentMethod.objects.filter(customer_id=customer_id, status=PaymentMethodStatus.ACTIVE)
        .values("exp_month", "exp_year")
        .first()
    )
    user = get_user_model().objects.filter(pk=customer_id).values("last_login", "date_joined").get()
    unread = InboxMessage.objects.filter(recipient_id=customer_id, read_at__isnull=True).count()
    inputs = HealthInputs(
        payment=_payment(invoices, today, moments),
        acceptance=_acceptance(reviews, now, moments),
        contract=_contract(contracts, now, today, moments),
        service=_service(clocks, now, moments),
        card=_card(card, len(invoices), today, moments),
        engagement=_engagement(user, unread, now, moments),
    )
    review_at = min((m for m in moments if m > now), default=None)
    return HealthReading(inputs=inputs, review_at=review_at)


def health_inputs(*, customer_id: int, now: dt.datetime) -> HealthInputs:
    """Every factor's inputs for `customer_id` at `now` (health_reading without review_at)."""
    return health_reading(customer_id=customer_id, now=now).inputs


def health_review_at(*, customer_id: int, now: dt.datetime) -> dt.datetime | None:
    """The next moment after `now` at which a factor of `customer_id` changes by time alone."""
    return health_reading(customer_id=customer_id, now=now).review_at


def customer_health_of(*, customer_id: int) -> CustomerHealth | None:
    """The customer's current score (None before it was first computed)."""
    return CustomerHealth.objects.filter(customer_id=customer_id).first()


def health_history(*, customer_id: int, limit: int = 50) -> list[CustomerHealthSnapshot]:
    """The score's changes, newest first."""
    return list(
        CustomerHealthSnapshot.objects.filter(customer_id=customer_id).order_by(
            "-computed_at", "-id"
        )[:limit]
    )


def health_score_before(*, customer_id: int, moment: dt.datetime) -> int | None:
    """The score as it stood at `moment` (the latest snapshot at or before it), None before any."""
    return (
        CustomerHealthSnapshot.objects.filter(customer_id=customer_id, computed_at__lte=moment)
        .order_by("-computed_at", "-id")
        .values_list("score", flat=True)
        .first()
    )


def customer_health_queue(*, bands: tuple[str, ...] | None = None):
    """Real customers' current scores, worst first (lowest score, then falling fastest), for
    the managers' queue: a QuerySet to paginate (health_queue_score_idx serves the order). Test
    customers are left out, as from all real reporting (docs/test-clocks.md)."""
    queue = CustomerHealth.objects.filter(customer__test_clock__isnull=True)
    if bands:
        queue = queue.filter(band__in=bands)
    return queue.select_related("customer__user").order_by("score", "trend", "customer_id")


def health_review_live_of(*, customer_id: int):
    """The customer's live review of a fall into red (open or acknowledged), or None."""
    return (
        HealthReview.objects.filter(customer_id=customer_id, state__in=LIVE_HEALTH_REVIEW_STATES)
        .select_related("acknowledged_by", "acted_by", "owner")
        .first()
    )


def health_review_latest_of(*, customer_id: int):
    """The customer's newest review (live or not), or None: what the card and the API show."""
    return (
        HealthReview.objects.filter(customer_id=customer_id)
        .select_related("acknowledged_by", "acted_by", "owner")
        .order_by("-opened_at", "-id")
        .first()
    )


def health_reviews_of(*, customer_id: int, limit: int = 20) -> list:
    """The customer's reviews, newest first."""
    return list(
        HealthReview.objects.filter(customer_id=customer_id)
        .select_related("acknowledged_by", "acted_by", "owner")
        .order_by("-opened_at", "-id")[:limit]
    )


def health_live_reviews_for(*, customer_ids: list[int]) -> dict[int, int]:
    """The live review's id of each of these customers that has one (one query)."""
    if not customer_ids:
        return {}
    return dict(
        HealthReview.objects.filter(
            customer_id__in=list(customer_ids), state__in=LIVE_HEALTH_REVIEW_STATES
        ).values_list("customer_id", "id")
    )
