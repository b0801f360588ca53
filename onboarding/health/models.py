"""The customer health score: one explained number from 0 to 100 per customer, its band, and
its history. How it is computed is in scoring.py; the weights and bands are HealthSettings,
which admins edit (audited)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from onboarding.accounts.models import Customer
from onboarding.core.errors import Conflict
from onboarding.core.transitions import state_in_sentence


class Band(models.TextChoices):
    RED = "red", pgettext_lazy("health band", "Red")
    YELLOW = "yellow", pgettext_lazy("health band", "Yellow")
    GREEN = "green", pgettext_lazy("health band", "Green")


class Factor(models.TextChoices):
    """The measures a score is made of, in the order they are explained."""

    PAYMENT = "payment", pgettext_lazy("health factor", "Payment")
    ACCEPTANCE = "acceptance", pgettext_lazy("health factor", "Acceptance")
    CONTRACT = "contract", pgettext_lazy("health factor", "Contract")
    SERVICE = "service", pgettext_lazy("health factor", "Service")
    CARD = "card", pgettext_lazy("health factor", "Card")
    ENGAGEMENT = "engagement", pgettext_lazy("health factor", "Engagement")


def _points(default: int, help_text: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=default,
        validators=[MaxValueValidator(100)],
        help_text=help_text,
    )


class HealthSettings(models.Model):
    """The weights and band thresholds (one row, pk 1). A factor's weight is the most points it
    can cost: a customer whose payment state is as bad as it gets loses all of `payment_weight`.
    The score is 100 minus the costs, never below 0."""

    payment_weight = _points(30, "Most points the payment state can cost.")
    acceptance_weight = _points(20, "Most points the acceptance rating can cost.")
    contract_weight = _points(15, "Most points the contract can cost.")
    service_weight = _points(20, "Most points open requests and SLA breaches can cost.")
    card_weight = _points(10, "Most points an expiring or expired card can cost.")
    engagement_weight = _points(5, "Most points a customer gone quiet can cost.")
    red_below = models.PositiveSmallIntegerField(
        default=40,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="A score below this is red.",
    )
    green_from = models.PositiveSmallIntegerField(
        default=70,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="A score from this up is green; between the two, yellow.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "health settings"
        verbose_name_plural = "health settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(red_below__lt=models.F("green_from")),
                name="health_red_below_green",
            ),
        ]

    def __str__(self) -> str:
        return "Health score weights and bands"

    def clean(self) -> None:
        if (
            self.red_below is not None
            and self.green_from is not None
            and self.red_below >= self.green_from
        ):
            raise ValidationError(
                {"green_from": "Green must start above the red threshold (red is below it)."}
            )

    def weight_of(self, factor: str) -> int:
        return getattr(self, f"{factor}_weight")

    def band_of(self, score: int) -> str:
        if score < self.red_below:
            return Band.RED
        return Band.GREEN if score >= self.green_from else Band.YELLOW


class CustomerHealth(models.Model):
    """A customer's current score. `factors` explains it: a list of
    {"factor", "cost", "weight", "explanation", "parts"} in Factor order, costs in whole points
    (the explanation in English, its parts as codes for other languages: health/explain.py).
    `trend` is the score now minus the score 30 days before (0 without older history).
    `review_at` is when a factor changes by time alone (a card expires, a contract nears its
    end): the periodic review recomputes the score then."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    band = models.CharField(max_length=8, choices=Band.choices)
    factors = models.JSONField(default=list)
    trend = models.SmallIntegerField(default=0)
    computed_at = models.DateTimeField()
    review_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "customer health"
        indexes = [
            # The managers' queue (reads.health_queue): one index per order and band filter,
            # each matching its ORDER BY exactly, so a page reads a page of the index.
            models.Index(fields=["score", "trend", "customer"], name="health_queue_score_idx"),
            models.Index(fields=["trend", "score", "customer"], name="health_queue_trend_idx"),
            models.Index(
                fields=["band", "score", "trend", "customer"], name="health_queue_band_score_idx"
            ),
            models.Index(
                fields=["band", "trend", "score", "customer"], name="health_queue_band_trend_idx"
            ),
            models.Index(
                fields=["review_at"],
                condition=models.Q(review_at__isnull=False),
                name="health_review_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score} ({self.band})"

    def costliest(self, count: int = 3) -> list[dict]:
        """The factors that cost the most points, most first (those that cost nothing left out)."""
        costing = [f for f in self.factors if f.get("cost", 0) > 0]
        return sorted(costing, key=lambda f: -f["cost"])[:count]


class CustomerHealthSnapshot(models.Model):
    """The score as it was from `computed_at` on: a row each time the score or band changes."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="health_history")
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    band = models.CharField(max_length=8, choices=Band.choices)
    factors = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["customer", "-computed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-computed_at"], name="health_history_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.computed_at:%Y-%m-%d %H:%M}: {self.score}"


class HealthFollowCursor(models.Model):
    """How far the follower has read the sealed audit log (follow.py): one row. Locked with
    select_for_update while a batch is read and published, so two workers never both advance
    it past the same entries. Created at the end of the sealed log (follow.health_follow_start),
    never at 0: the existing customers are scored by `manage.py health_recompute`."""

    SINGLETON_ID = 1

    id = models.SmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    last_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="health_follow_cursor_one_row"),
        ]

    def __str__(self) -> str:
        return f"health follower at audit seq {self.last_seq}"


class ReviewState(models.TextChoices):
    """A health review's states; the allowed moves are REVIEW_MOVES, in one place."""

    OPEN = "open", pgettext_lazy("health review state", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("health review state", "Acknowledged")
    ACTED = "acted", pgettext_lazy("health review state", "Next action chosen")
    CLOSED = "closed", pgettext_lazy("health review state", "Closed: left red before anyone acted")


LIVE_HEALTH_REVIEW_STATES = (ReviewState.OPEN, ReviewState.ACKNOWLEDGED)

REVIEW_MOVES: dict[str, tuple[str, ...]] = {
    ReviewState.OPEN: (ReviewState.ACKNOWLEDGED, ReviewState.ACTED, ReviewState.CLOSED),
    ReviewState.ACKNOWLEDGED: (ReviewState.ACTED, ReviewState.CLOSED),
    ReviewState.ACTED: (),
    ReviewState.CLOSED: (),
}


class NextAction(models.TextChoices):
    """What a manager decides on a customer in red."""

    CONTACT = "contact", _("Contact the customer")
    OFFER = "offer", _("Offer a plan change or a discount")
    ESCALATE = "escalate", _("Escalate to the admins")
    ACCEPT_RISK = "accept_risk", _("Accept the risk")


# Actions that hand work to someone by a date; the others need a note saying why.
ACTIONS_WITH_OWNER = (NextAction.CONTACT, NextAction.OFFER)


class HealthReview(models.Model):
    """A manager's review of a customer's fall into red: opened in the recompute that recorded
    the crossing (one per crossing: `snapshot` is unique, and a customer has at most one live
    review), acknowledged by a manager, then closed by the next action a manager chose, or
    closed without one when the customer leaves red first (reviews.py)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="health_reviews")
    snapshot = models.OneToOneField(
        CustomerHealthSnapshot, on_delete=models.CASCADE, related_name="review"
    )
    state = models.CharField(max_length=16, choices=ReviewState.choices, default=ReviewState.OPEN)
    score = models.PositiveSmallIntegerField(help_text="The score when the review opened.")
    reason = models.CharField(max_length=500, help_text="Score and costliest factors at opening.")
    opened_at = models.DateTimeField()
    ack_due_at = models.DateTimeField(help_text="A manager must acknowledge by then.")
    action_due_at = models.DateTimeField(help_text="The next action is due by then.")
    unacknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the acknowledgement timer fired (once)."
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    acted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=NextAction.choices, blank=True)
    owner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(state__in=["open", "acknowledged"]),
                name="health_one_live_review",
            ),
        ]
        indexes = [
            models.Index(
                fields=["ack_due_at"],
                condition=models.Q(state="open", unacknowledged_at__isnull=True),
                name="health_review_ack_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Health review #{self.pk} of customer {self.customer_id} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_HEALTH_REVIEW_STATES

    @property
    def reason_shown(self) -> str:
        """`reason` in the reader's language, worded from the snapshot's factors; the recorded
        English in English and for a review whose snapshot has no parts (explain.py)."""
        # Imported here: explain.py reads Factor from this module.
        from onboarding.health.explain import english_reader, red_reason

        if english_reader():
            return self.reason
        return red_reason(self.score, self.snapshot.factors, recorded=self.reason)

    def move_to(self, state: str) -> None:
        if state not in REVIEW_MOVES[self.state]:
            raise Conflict(
                gettext("This review is %(state)s; it cannot become %(next)s.")
                % {
                    "state": state_in_sentence(self.get_state_display()),
                    "next": state_in_sentence(ReviewState(state).label),
                }
            )
        self.state = state

    def is_overdue(self, now) -> bool:
        """The next action is past its due time and not chosen yet."""
        return self.is_live and now > self.action_due_at

    def is_ack_overdue(self, now) -> bool:
        return self.state == ReviewState.OPEN and now > self.ack_due_at
