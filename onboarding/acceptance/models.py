"""Acceptance: what it takes to supply a contract's service, rated Red, Yellow or Green.

- Requirement: one thing SysOps must have in place (remote access, a monitoring agent, named
  escalation contacts), with its acceptance criteria, a rating, an owner and notes. Every rating
  change is kept (RatingChange).
- The contract's acceptance status is derived from its requirements on every read (a red wins
  at once, otherwise capture finishes first and the worst rating wins; see
  `status_from_counts`), never stored, so it cannot go stale.
- Review: one episode of that status needing a person. Green: SysOps acknowledge the logged
  acceptance. Yellow or red: a manager acknowledges and starts the next action. A review is open
  until it is closed by an outcome or superseded by a change of status.
- Timer: a deadline waiting for an acknowledgement, kept in the database so it survives
  restarts, fires at most once, and is cancelled by the acknowledgement it waits for.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext_lazy

from onboarding.catalog.models import Plan
from onboarding.contracts.models import Contract
from onboarding.core import clock
from onboarding.core.access import access_rule
from onboarding.core.roles import STAFF_ROLES
from onboarding.core.transitions import check_move, move_allowed


class Rating(models.TextChoices):
    UNRATED = "unrated", pgettext_lazy("acceptance rating", "Not rated yet")
    GREEN = "green", pgettext_lazy("acceptance rating", "Green")
    YELLOW = "yellow", pgettext_lazy("acceptance rating", "Yellow")
    RED = "red", pgettext_lazy("acceptance rating", "Red")


# The ratings a person can give (a requirement starts unrated only when copied from a template).
GIVEN_RATINGS = (Rating.GREEN, Rating.YELLOW, Rating.RED)


class AcceptanceStatus(models.TextChoices):
    UNKNOWN = "unknown", pgettext_lazy("acceptance status", "Requirements unknown")
    IN_CAPTURE = "in_capture", pgettext_lazy("acceptance status", "Being captured")
    GREEN = "green", pgettext_lazy("acceptance status", "Green")
    YELLOW = "yellow", pgettext_lazy("acceptance status", "Yellow")
    RED = "red", pgettext_lazy("acceptance status", "Red")


def status_from_counts(*, total: int, unrated: int, red: int, yellow: int) -> AcceptanceStatus:
    """The contract's acceptance status from how many of its requirements carry each rating.

    No requirements: unknown. Any red: red, even while others are unrated, because the contract
    stays red whatever they turn out to be, so the manager hears of it at once. Otherwise any
    unrated: in capture; a yellow waits for the rest (a red may yet join it, and a manager
    decides on the whole contract). Otherwise yellow if any is yellow, else green."""
    if not total:
        return AcceptanceStatus.UNKNOWN
    if red:
        return AcceptanceStatus.RED
    if unrated:
        return AcceptanceStatus.IN_CAPTURE
    return AcceptanceStatus.YELLOW if yellow else AcceptanceStatus.GREEN


def status_of(ratings: list[str]) -> AcceptanceStatus:
    """The contract's acceptance status from its requirements' ratings (status_from_counts)."""
    strange = set(ratings) - set(Rating.values)
    if strange:
        raise ValueError(f"not a rating: {sorted(strange)}")
    return status_from_counts(
        total=len(ratings),
        unrated=ratings.count(Rating.UNRATED),
        red=ratings.count(Rating.RED),
        yellow=ratings.count(Rating.YELLOW),
    )


def capture_complete(ratings: list[str]) -> bool:
    """Every requirement captured and rated: what the "requirements unknown" wait waits for.
    A red during capture does not complete it, though it makes the contract red."""
    return bool(ratings) and Rating.UNRATED not in ratings


@access_rule(owner=None, staff=STAFF_ROLES)
class RequirementTemplate(models.Model):
    """A standard requirement of a plan; a new contract's capture starts from these."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="requirement_templates")
    title = models.CharField(max_length=200)
    criteria = models.TextField(help_text="What must be true for this requirement to be green.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "title"], name="one_template_title_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.title}"


@access_rule(owner=None, staff=STAFF_ROLES)
class Requirement(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="requirements")
    title = models.CharField(max_length=200)
    criteria = models.TextField()
    rating = models.CharField(max_length=8, choices=Rating.choices, default=Rating.UNRATED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_requirements",
    )
    notes = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    template = models.ForeignKey(
        RequirementTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "title"], name="one_requirement_title_per_contract"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("acceptance:contract", args=[self.contract_id]) + f"#req-{self.pk}"


@access_rule(owner=None, staff=STAFF_ROLES)
class RatingChange(models.Model):
    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="rating_changes"
    )
    from_rating = models.CharField(max_length=8, choices=Rating.choices)
    to_rating = models.CharField(max_length=8, choices=Rating.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.requirement}: {self.from_rating} -> {self.to_rating}"


class ReviewState(models.TextChoices):
    OPEN = "open", pgettext_lazy("acceptance review state", "Waiting for acknowledgement")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("acceptance review state", "Acknowledged")
    REMEDIATION = "remediation", pgettext_lazy("acceptance review state", "Remediation requested")
    ESCALATED = "escalated", pgettext_lazy("acceptance review state", "Escalated")
    ACCEPTED = "accepted", pgettext_lazy("acceptance review state", "Accepted")
    ACCEPTED_WITH_CONDITIONS = (
        "accepted_with_conditions",
        pgettext_lazy("acceptance review state", "Accepted with conditions"),
    )
    CONTRACT_CANCELLED = (
        "contract_cancelled",
        pgettext_lazy("acceptance review state", "Contract cancelled"),
    )
    SUPERSEDED = (
        "superseded",
        pgettext_lazy("acceptance review state", "Superseded by a new rating"),
    )


R = ReviewState
# Every allowed move, in one place; Review.move_to refuses anything else.
#   green reviews: open -> accepted (SysOps acknowledge the logged acceptance)
#   yellow/red reviews: open -> a manager's acknowledgement or action; remediation and
#   escalation keep the review open (work remains), the other outcomes close it
#   any open review is superseded when the contract's status changes
REVIEW_MOVES: dict[str, frozenset[str]] = {
    R.OPEN: frozenset(
        {
            R.ACKNOWLEDGED,
            R.REMEDIATION,
            R.ESCALATED,
            R.ACCEPTED,
            R.ACCEPTED_WITH_CONDITIONS,
            R.CONTRACT_CANCELLED,
            R.SUPERSEDED,
        }
    ),
    R.ACKNOWLEDGED: frozenset(
        {R.REMEDIATION, R.ESCALATED, R.ACCEPTED_WITH_CONDITIONS, R.CONTRACT_CANCELLED, R.SUPERSEDED}
    ),
    R.REMEDIATION: frozenset(
        {R.REMEDIATION, R.ESCALATED, R.ACCEPTED_WITH_CONDITIONS, R.CONTRACT_CANCELLED, R.SUPERSEDED}
    ),
    R.ESCALATED: frozenset(
        {R.REMEDIATION, R.ACCEPTED_WITH_CONDITIONS, R.CONTRACT_CANCELLED, R.SUPERSEDED}
    ),
    R.ACCEPTED: frozenset({R.SUPERSEDED}),
    R.ACCEPTED_WITH_CONDITIONS: frozenset({R.SUPERSEDED}),
    R.CONTRACT_CANCELLED: frozenset(),
    R.SUPERSEDED: frozenset(),
}
# States in which the review still waits for someone (it is the contract's current review).
LIVE_REVIEW_STATES = (R.OPEN, R.ACKNOWLEDGED, R.REMEDIATION, R.ESCALATED)
# The moves a green review can make: it only waits for SysOps' acknowledgement.
GREEN_REVIEW_MOVES = frozenset({R.ACCEPTED, R.SUPERSEDED})
GREEN_REVIEW_TABLE = {
    state: allowed & GREEN_REVIEW_MOVES for state, allowed in REVIEW_MOVES.items()
}


@access_rule(owner=None, staff=STAFF_ROLES)
class Review(models.Model):
    """One episode of a contract's status needing a person: green acceptance to acknowledge,
    or yellow/red to escalate to a manager."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reviews")
    rating = models.CharField(max_length=8, choices=Rating.choices)
    state = models.CharField(max_length=32, choices=ReviewState.choices, default=R.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    ack_due_at = models.DateTimeField(help_text="When the acknowledgement is overdue.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when the deadline passed unacknowledged: a soft failure (green) or a risk event.
    overdue_at = models.DateTimeField(null=True, blank=True)
    # The manager's last action.
    outcome_note = models.TextField(blank=True)
    remediation_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    remediation_due = models.DateField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # At most one live review per contract, also under concurrent rating changes.
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(closed_at__isnull=True),
                name="one_live_review_per_contract",
            ),
        ]
        indexes = [models.Index(fields=["state", "opened_at"], name="review_state_idx")]

    def __str__(self) -> str:
        # English in every language: the audit log and the admin record it.
        with translation.override("en"):
            rating, state = self.get_rating_display(), self.get_state_display()
            return f"{rating} review of {self.contract} ({state})"

    def get_absolute_url(self) -> str:
        return reverse("acceptance:contract", args=[self.contract_id])

    @property
    def is_green(self) -> bool:
        return self.rating == Rating.GREEN

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_REVIEW_STATES

    @property
    def waits_for_acknowledgement(self) -> bool:
        return self.state == R.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.waits_for_acknowledgement and (
            self.overdue_at is not None or self.ack_due_at <= clock.now()
        )

    @property
    def moves(self) -> dict[str, frozenset[str]]:
        return GREEN_REVIEW_TABLE if self.is_green else REVIEW_MOVES

    def can_move_to(self, state: str) -> bool:
        return move_allowed(self.moves, self.state, state)

    def move_to(self, state: str) -> None:
        """Change state in memory, refusing any move its table does not allow."""
        check_move(self.moves, self.state, state, what="review", states=ReviewState)
        self.state = state
        if state not in LIVE_REVIEW_STATES and self.closed_at is None:
            self.closed_at = clock.now()


class TimerKind(models.TextChoices):
    GREEN_ACK = "green_ack", "SysOps acknowledge a green acceptance"
    MANAGER_ACK = "manager_ack", "A manager acknowledges a yellow or red rating"
    REQUIREMENTS_UNKNOWN = "requirements_unknown", "Requirements captured after activation"


class TimerState(models.TextChoices):
    PENDING = "pending", "Pending"
    FIRED = "fired", "Fired"
    CANCELLED = "cancelled", "Cancelled"


@access_rule(owner=None, staff=STAFF_ROLES)
class Timer(models.Model):
    kind = models.CharField(max_length=24, choices=TimerKind.choices)
    key = models.CharField(max_length=120, unique=True, help_text="One timer per thing awaited.")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, null=True, blank=True, related_name="timers"
    )
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=TimerState.choices, default=TimerState.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The sweep reads only pending timers that are due, oldest first.
            models.Index(
                fields=["due_at", "id"],
                condition=Q(state="pending"),
                name="timer_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.contract} ({self.state})"
