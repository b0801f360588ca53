"""Reads: a contract's derived status, its requirements and reviews, the acceptance console."""

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from onboarding.acceptance.clocks import NEXT_ACTION_KIND, SEVERITY_OF_RATING, runs_clock
from onboarding.acceptance.models import (
    AcceptanceStatus,
    Rating,
    RatingChange,
    Requirement,
    Review,
    ReviewState,
    Timer,
    TimerState,
    status_from_counts,
    status_of,
)
from onboarding.accounts.models import Customer
from onboarding.contracts.models import IN_FORCE_STATES, Contract
from onboarding.core import clock
from onboarding.core.errors import NotFound
from onboarding.risk.models import RiskEvent, RiskState, RiskType
from onboarding.sla.models import ClockOutcome, Severity, SlaClock
from onboarding.sla.selectors import ClockView, sla_clocks_of
from onboarding.sla.templatetags.sla_clocks import service_time


def contract_ratings(*, contract: Contract) -> list[str]:
    """The ratings of the contract's requirements as they are now (one query)."""
    return list(contract.requirements.values_list("rating", flat=True))


def contract_status(*, contract: Contract) -> AcceptanceStatus:
    """The status from the ratings as they are now (one query)."""
    return status_of(contract_ratings(contract=contract))


def live_review_of(*, contract: Contract, lock: bool = False) -> Review | None:
    rows = Review.objects.select_for_update() if lock else Review.objects
    return rows.filter(contract=contract, closed_at__isnull=True).first()


def _get(model, pk, *, lock: bool, message: str, related=()):
    rows = model.objects.select_for_update() if lock else model.objects.select_related(*related)
    try:
        return rows.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(message) from None


def requirement_get(*, requirement_id, lock: bool = False) -> Requirement:
    return _get(
        Requirement, requirement_id, lock=lock, message="No such requirement.", related=("owner",)
    )


def review_get(*, review_id, lock: bool = False) -> Review:
    return _get(
        Review, review_id, lock=lock, message="No such review.", related=("contract__customer",)
    )


def contract_for_acceptance(*, contract_id) -> Contract:
    return _get(
        Contract,
        contract_id,
        lock=False,
        message="No such contract.",
        related=("customer__user", "customer__test_clock", "plan__product", "subscription"),
    )


@dataclass
class AcceptanceView:
    """What the contract's acceptance page (SysOps and manager) shows."""

    contract: Contract
    status: AcceptanceStatus
    requirements: list[Requirement]
    live_review: Review | None
    past_reviews: list[Review]
    pending_timers: list[Timer]
    counts: dict[str, int] = field(default_factory=dict)
    # The live yellow or red review's next-action clock (acceptance/clocks.py), None without.
    next_action: ClockView | None = None

    @property
    def next_action_severity(self) -> str:
        """The severity whose resolution time the live review's next action is due in."""
        review = self.live_review
        if review is None or not runs_clock(review):
            return ""
        return Severity(SEVERITY_OF_RATING[review.rating]).label

    @property
    def needs_manager(self) -> bool:
        return self.live_review is not None and not self.live_review.is_green


def acceptance_view(*, contract: Contract) -> AcceptanceView:
    requirements = list(
        contract.requirements.select_related("owner").prefetch_related(
            Prefetch("rating_changes", queryset=_changes())
        )
    )
    reviews = list(
        contract.reviews.select_related("acknowledged_by", "acted_by", "remediation_owner")
    )
    live = next((r for r in reviews if r.closed_at is None), None)
    ratings = [r.rating for r in requirements]
    past = [r for r in reviews if r is not live][:20]
    outcomes = _clock_outcomes([r for r in past if runs_clock(r)])
    for review in past:
        # Met or missed, for a yellow or red review whose clock was judged; "" otherwise.
        review.next_action_outcome = outcomes.get(review.pk, "")
    return AcceptanceView(
        contract=contract,
        status=status_of(ratings),
        requirements=requirements,
        live_review=live,
        past_reviews=past,
        pending_timers=list(
            Timer.objects.filter(contract=contract, state=TimerState.PENDING).order_by("due_at")
        ),
        counts={rating: ratings.count(rating) for rating in Rating.values},
        next_action=_next_action_clock(live, contract=contract),
    )


def _moment_of(contract: Contract) -> dt.datetime:
    """Now for this contract's clocks: the business clock's, or for a test clock's customer
    read outside a simulation, the moment that customer lives at."""
    customer = contract.customer
    if clock.current() is None and customer.test_clock_id is not None:
        return customer.test_clock.frozen_time
    return clock.now()


def _next_action_clock(review: Review | None, *, contract: Contract) -> ClockView | None:
    if review is None or not runs_clock(review):
        return None
    clocks = sla_clocks_of(subject=review, now=_moment_of(contract))
    return next((c for c in clocks if c.kind == NEXT_ACTION_KIND), None)


def _clock_outcomes(reviews: list[Review]) -> dict[int, str]:
    if not reviews:
        return {}
    rows = SlaClock.objects.filter(
        subject_type=Review._meta.label_lower,
        subject_id__in=[r.pk for r in reviews],
        kind=NEXT_ACTION_KIND,
        outcome__in=(ClockOutcome.MET, ClockOutcome.MISSED),
    ).values_list("subject_id", "outcome")
    return dict(rows)


def _changes():
    return RatingChange.objects.select_related("actor").order_by("-changed_at", "-id")


@dataclass(frozen=True)
class ConsoleRow:
    contract: Contract
    status: AcceptanceStatus
    live_review: Review | None
    counts: dict[str, int]

    @property
    def overdue(self) -> bool:
        return self.live_review is not None and self.live_review.is_overdue

    @property
    def waiting_for(self) -> str:
        review = self.live_review
        if review is None or review.state != ReviewState.OPEN:
            return ""
        return "SysOps" if review.is_green else gettext("a manager")


CONSOLE_FILTERS = ("attention", "red", "yellow", "green", "unknown", "all")


def _counted(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    return contracts.annotate(
        n_total=Count("requirements"),
        **{
            f"n_{rating}": Count("requirements", filter=Q(requirements__rating=rating))
            for rating in Rating.values
        },
    )


def _status_from_counts(contract) -> AcceptanceStatus:
    """The status of a contract annotated by `_counted`, by the same rule as `status_of`."""
    return status_from_counts(
        total=contract.n_total,
        unrated=contract.n_unrated,
        red=contract.n_red,
        yellow=contract.n_yellow,
    )


def acceptance_console(*, show: str = "attention", limit: int = 200) -> list[ConsoleRow]:
    """Contracts in force with their acceptance status, the ones needing someone first.

    "attention": red, yellow, unknown/in capture, and green not yet acknowledged.
    """
    live = Review.objects.filter(closed_at__isnull=True)
    contracts = (
        _counted(Contract.objects.filter(state__in=IN_FORCE_STATES))
        .select_related("customer__user")
        .prefetch_related(Prefetch("reviews", queryset=live, to_attr="live_reviews"))
        .order_by("-term_start", "-id")
    )
    rows = []
    for contract in contracts.iterator(chunk_size=500):
        status = _status_from_counts(contract)
        review = contract.live_reviews[0] if contract.live_reviews else None
        row = ConsoleRow(
            contract=contract,
            status=status,
            live_review=review,
            counts={r: getattr(contract, f"n_{r}") for r in Rating.values},
        )
        if _shown(row, show):
            rows.append(row)
    order = {"red": 0, "yellow": 1, "unknown": 2, "in_capture": 2, "green": 3}
    rows.sort(key=lambda row: (not row.overdue, order[row.status]))
    return rows[:limit]


def _shown(row: ConsoleRow, show: str) -> bool:
    if show == "all":
        return True
    if show == "unknown":
        return row.status in (AcceptanceStatus.UNKNOWN, AcceptanceStatus.IN_CAPTURE)
    if show in ("red", "yellow", "green"):
        return row.status == show
    # attention
    if row.status == AcceptanceStatus.GREEN:
        return row.live_review is not None and row.live_review.state == ReviewState.OPEN
    return True


@dataclass(frozen=True)
class AcceptanceFlag:
    contract: Contract
    level: str
    message: str


def acceptance_flags_for(*, contract_ids: list[int]) -> list[AcceptanceFlag]:
    """Red and yellow facts about these contracts' acceptance, for the full customer view (two
    queries whatever the number of contracts, and a third for the next-action deadlines when
    any is red or yellow)."""
    # In the reader's language: the customer view caches its flags per language
    # (sysops/overview_cache.py keys its entry by it).
    return _acceptance_flags(contract_ids)


def _acceptance_flags(contract_ids: list[int]) -> list[AcceptanceFlag]:
    if not contract_ids:
        return []
    unknown_risk = RiskEvent.objects.filter(
        contract=OuterRef("pk"), type=RiskType.REQUIREMENTS_UNKNOWN, state=RiskState.OPEN
    )
    contracts = (
        _counted(Contract.objects.filter(pk__in=contract_ids, state__in=IN_FORCE_STATES))
        .select_related("customer__test_clock")
        .annotate(requirements_overdue=Exists(unknown_risk))
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.filter(closed_at__isnull=True),
                to_attr="live_reviews",
            )
        )
        .order_by("pk")
    )
    flags, rated = [], []
    for contract in contracts:
        status = _status_from_counts(contract)
        review = contract.live_reviews[0] if contract.live_reviews else None
        if status in (AcceptanceStatus.RED, AcceptanceStatus.YELLOW):
            rated.append(contract.pk)
            flags.append(AcceptanceFlag(contract, str(status), _rated_sentence(contract, review)))
        elif status == AcceptanceStatus.GREEN and review is not None and review.is_overdue:
            flags.append(
                AcceptanceFlag(
                    contract,
                    "yellow",
                    gettext(
                        "Contract %(contract)s is accepted (green) but nobody in SysOps "
                        "acknowledged it in time."
                    )
                    % {"contract": contract},
                )
            )
        elif contract.requirements_overdue:
            # Only once the deadline passed (a risk event is open): before it, capture is
            # simply not done yet.
            if status == AcceptanceStatus.UNKNOWN:
                missing = gettext(
                    "Contract %(contract)s: support requirements still not captured (on the "
                    "risk board)."
                )
            else:
                missing = gettext(
                    "Contract %(contract)s: support requirements still not rated (on the risk "
                    "board)."
                )
            flags.append(AcceptanceFlag(contract, "red", missing % {"contract": contract}))
    return _with_next_action_due(flags, rated)


def _in_sentence(label) -> str:
    """A state's label inside a sentence: its first letter small, the rest as written (German
    nouns keep their capital: "wartet auf Bestätigung")."""
    text = str(label)
    return text[:1].lower() + text[1:]


def _rated_sentence(contract: Contract, review: Review | None) -> str:
    facts = {
        "contract": contract,
        "status": _in_sentence(_status_from_counts(contract).label),
        "state": _in_sentence(review.get_state_display()) if review else gettext("no review"),
        "count": contract.n_unrated,
    }
    # A red stands before capture ends (status_from_counts): say what is still to rate.
    if contract.n_unrated:
        return (
            ngettext(
                "Contract %(contract)s acceptance is %(status)s (%(state)s; %(count)s not rated "
                "yet).",
                "Contract %(contract)s acceptance is %(status)s (%(state)s; %(count)s not rated "
                "yet).",
                contract.n_unrated,
            )
            % facts
        )
    return gettext("Contract %(contract)s acceptance is %(status)s (%(state)s).") % facts


def _with_next_action_due(flags: list[AcceptanceFlag], rated: list[int]) -> list[AcceptanceFlag]:
    """The flags of red and yellow contracts (`rated`) say by when the next action is due (one
    query for them all)."""
    if not rated:
        return flags
    # The customer view reads one customer's contracts: their moment is that customer's.
    now = _moment_of(next(f.contract for f in flags if f.contract.pk in rated))
    due = next_action_due_for(contract_ids=rated, now=now)
    return [
        replace(flag, message=f"{flag.message} {next_action_sentence(due[flag.contract.pk])}")
        if flag.contract.pk in due
        else flag
        for flag in flags
    ]


def acceptance_red_count() -> int:
    """Real customers' contracts in force whose acceptance status is red (any requirement red,
    also while others are still unrated), in one query: the staff navigation's count of work
    waiting. A test customer's red contract is the test clock's business (docs/test-clocks.md);
    the anti-join costs by the few test customers, as RiskEvent.objects.operational() does."""
    test_customer = Customer.objects.filter(pk=OuterRef("customer_id"), test_clock__isnull=False)
    in_force = Contract.objects.filter(~Exists(test_customer), state__in=IN_FORCE_STATES)
    return _counted(in_force).filter(n_red__gt=0).count()


# --- the risk board: each contract's next-action deadline ---------------------------------------


@dataclass(frozen=True)
class NextActionDue:
    """A contract's live yellow or red review's next-action deadline, for the risk board."""

    contract_id: int
    rating: str
    due_at: dt.datetime
    time_zone: str
    outcome: str
    late_by: dt.timedelta | None  # real time past the deadline (running or stopped late)

    @property
    def met(self) -> bool:
        return self.outcome == ClockOutcome.MET

    @property
    def missed(self) -> bool:
        return self.outcome == ClockOutcome.MISSED


def next_action_due_for(*, contract_ids: list[int], now: dt.datetime) -> dict[int, NextActionDue]:
    """Each contract's live yellow or red review's next-action deadline, by contract id, in
    one query (contracts whose review runs no clock with terms are left out)."""
    if not contract_ids:
        return {}
    live = Review.objects.filter(
        contract_id__in=contract_ids, closed_at__isnull=True, rating__in=list(SEVERITY_OF_RATING)
    )
    review = Review.objects.filter(pk=OuterRef("subject_id"))
    clocks = (
        SlaClock.objects.filter(
            subject_type=Review._meta.label_lower,
            subject_id__in=live.values("pk"),
            kind=NEXT_ACTION_KIND,
            due_at__isnull=False,
        )
        .annotate(
            contract_id=Subquery(review.values("contract_id")[:1]),
            rating=Subquery(review.values("rating")[:1]),
        )
        .values(
            "contract_id",
            "rating",
            "due_at",
            "stopped_at",
            "outcome",
            "time_zone",
            "service_hours__time_zone",
        )
    )
    due = {}
    for row in clocks:
        late = (row["stopped_at"] or now) - row["due_at"]
        due[row["contract_id"]] = NextActionDue(
            contract_id=row["contract_id"],
            rating=row["rating"],
            due_at=row["due_at"],
            # The clock's own zone (kept at its start or re-term; its calendar's if none kept).
            time_zone=row["time_zone"] or row["service_hours__time_zone"],
            outcome=row["outcome"],
            late_by=late if late > dt.timedelta(0) else None,
        )
    return due


def next_action_sentence(due: NextActionDue) -> str:
    """The deadline in words, in the clock's time zone (the customer view's flags)."""
    when = date_format(due.due_at.astimezone(ZoneInfo(due.time_zone)), "DATETIME_FORMAT")
    facts = {"when": when, "zone": due.time_zone, "late": service_time(due.late_by)}
    if due.met:
        return gettext("Next action done in time (due by %(when)s (%(zone)s)).") % facts
    if due.missed:
        return gettext("Next action done %(late)s late (due by %(when)s (%(zone)s)).") % facts
    if due.late_by:
        return gettext("Next action overdue by %(late)s (due by %(when)s (%(zone)s)).") % facts
    return gettext("Next action due by %(when)s (%(zone)s).") % facts


def risk_board_next_actions(events: list[RiskEvent]) -> dict[int, str]:
    """The risk board's note reader (risk/board_notes.py): under each open risk whose contract
    has a live yellow or red review, the deadline of its next action."""
    due = next_action_due_for(
        contract_ids=sorted({event.contract_id for event in events}), now=clock.now()
    )
    return {
        event.pk: render_to_string(
            "acceptance/_board_next_action.html", {"due": due[event.contract_id]}
        )
        for event in events
        if event.contract_id in due
    }
