import hashlib

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import pgettext_lazy

from onboarding.core.access import access_rule
from onboarding.core.roles import Role
from onboarding.core.transitions import check_move


class AlertState(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert state", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert state", "Acknowledged")
    RESOLVED = "resolved", pgettext_lazy("alert state", "Resolved")


# Every allowed move, in one place; AdminAlert.move_to refuses anything else.
ALERT_MOVES: dict[str, frozenset[str]] = {
    AlertState.OPEN: frozenset({AlertState.ACKNOWLEDGED, AlertState.RESOLVED}),
    AlertState.ACKNOWLEDGED: frozenset({AlertState.RESOLVED}),
    AlertState.RESOLVED: frozenset(),
}


class AlertSeverity(models.TextChoices):
    INFO = "info", pgettext_lazy("alert severity", "Info")
    WARNING = "warning", pgettext_lazy("alert severity", "Warning")
    ERROR = "error", pgettext_lazy("alert severity", "Error")
    CRITICAL = "critical", pgettext_lazy("alert severity", "Critical")


SEVERITY_BADGES = {
    AlertSeverity.INFO: "",
    AlertSeverity.WARNING: "yellow",
    AlertSeverity.ERROR: "red",
    AlertSeverity.CRITICAL: "red",
}


def alert_dedupe_key(*, reason: str, object_type: str, object_id: str) -> str:
    """The identity of "the same failure on the same object", short enough for a unique index."""
    raw = "\x1f".join((reason, object_type, object_id))
    return hashlib.sha256(raw.encode()).hexdigest()


class AdminAlertQuerySet(models.QuerySet["AdminAlert"]):
    def unresolved(self) -> "AdminAlertQuerySet":
        return self.exclude(state=AlertState.RESOLVED)

    def newest_first(self) -> "AdminAlertQuerySet":
        return self.order_by("-last_seen_at", "-id")


@access_rule(owner=None, staff={Role.SYSOPS, Role.MANAGER, Role.ADMIN})
class AdminAlert(models.Model):
    """A failure that needs a person ("Notify admin"): one row per failure and object per window.

    `dedupe_key` is set only while the alert still collects repeats of its failure; a unique
    index on it lets concurrent first raises agree on one row. Resolving the alert, or its
    window running out (unless it is raised `until_resolved`), clears the key so the next raise
    opens a new alert.
    """

    reason = models.CharField(max_length=64, db_index=True)
    message = models.TextField()
    severity = models.CharField(
        max_length=16, choices=AlertSeverity.choices, default=AlertSeverity.ERROR
    )
    state = models.CharField(
        max_length=16, choices=AlertState.choices, default=AlertState.OPEN, db_index=True
    )
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_url = models.CharField(max_length=500, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    context = models.JSONField(default=dict, blank=True)
    count = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    dedupe_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    # Set when the system closed the alert because the failed step later succeeded (no person).
    resolved_automatically = models.BooleanField(default=False)

    objects = AdminAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="alert_object_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in AlertState]),
                name="alert_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reason} {self.object_label}".strip()

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.pk])

    @property
    def object_label(self) -> str:
        return f"{self.object_type}:{self.object_id}" if self.object_type else ""

    @property
    def severity_badge(self) -> str:
        """The badge colour (static/css/app.css) that says how bad this is at a glance."""
        return SEVERITY_BADGES[self.severity]

    @property
    def resolver_label(self) -> str:
        """Who closed the alert, as staff read it: "system", a person's email, or nobody yet."""
        if self.resolved_automatically:
            return "system"
        if self.resolved_by_id is None:
            return "a deleted user" if self.resolved_at else ""
        return self.resolved_by.email

    @property
    def is_resolved(self) -> bool:
        return self.state == AlertState.RESOLVED

    def move_to(self, state: str) -> None:
        """Change state in memory, refusing any move ALERT_MOVES does not allow."""
        check_move(ALERT_MOVES, self.state, state, what="alert", states=AlertState)
        self.state = state
