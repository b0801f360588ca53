"""Repair and troubleshoot requests: what a customer asks SysOps to fix, and what happened since.

A request belongs to one customer and names the product (through the customer's subscription).
Every change to it (opened, assigned, commented, moved to another status) is one
`ServiceRequestUpdate` row: the request's history, the thing the customer is notified about, and
the natural dedupe key for that notification.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onboarding.core.access import access_rule
from onboarding.core.roles import STAFF_ROLES
from onboarding.core.transitions import check_move


class RequestKind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    TROUBLESHOOT = "troubleshoot", _("Troubleshoot")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# Most urgent first, for sorting the queue in the database.
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.NORMAL: 2, Severity.LOW: 3}
URGENT_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Every allowed move, in one place; anything else is refused. A resolved request may be reopened
# (the fix did not hold); a closed one is final: the customer opens a new request instead.
REQUEST_MOVES: dict[str, frozenset[str]] = {
    RequestStatus.NEW: frozenset(
        {
            RequestStatus.IN_PROGRESS,
            RequestStatus.WAITING_ON_CUSTOMER,
            RequestStatus.RESOLVED,
            RequestStatus.CLOSED,
        }
    ),
    RequestStatus.IN_PROGRESS: frozenset(
        {RequestStatus.WAITING_ON_CUSTOMER, RequestStatus.RESOLVED, RequestStatus.CLOSED}
    ),
    RequestStatus.WAITING_ON_CUSTOMER: frozenset(
        {RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED, RequestStatus.CLOSED}
    ),
    RequestStatus.RESOLVED: frozenset({RequestStatus.IN_PROGRESS, RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset(
    {RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.WAITING_ON_CUSTOMER}
)


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class ServiceRequest(models.Model):
    """A customer's repair or troubleshoot request for one product they subscribe to."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="service_requests"
    )
    subscription = models.ForeignKey(
        "billing.Subscription", on_delete=models.PROTECT, related_name="service_requests"
    )
    kind = models.CharField(max_length=16, choices=RequestKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    # Kept on the row so the queue sorts by urgency with an index, not a CASE expression.
    severity_rank = models.PositiveSmallIntegerField(editable=False)
    summary = models.CharField(max_length=200)
    description = models.TextField(max_length=10_000)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_service_requests",
    )
    # Null when an inbound event (not a person) opened it.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(
        max_length=40, default="portal", help_text="portal, api, staff, or the event's source"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="sreq_customer_idx"),
            # The queue: open requests, most urgent and oldest first.
            models.Index(fields=["status", "severity_rank", "created_at"], name="sreq_queue_idx"),
            models.Index(fields=["assignee", "status"], name="sreq_assignee_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=RequestKind.values), name="sreq_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=Severity.values), name="sreq_severity_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values), name="sreq_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.summary}"

    def save(self, *args, **kwargs) -> None:
        self.severity_rank = SEVERITY_RANK[Severity(self.severity)]
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        return f"REQ-{self.pk:06d}" if self.pk else "REQ-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_urgent(self) -> bool:
        return self.severity in URGENT_SEVERITIES

    @property
    def allowed_moves(self) -> list[str]:
        """The statuses this request may move to, in the order RequestStatus lists them."""
        moves = REQUEST_MOVES[RequestStatus(self.status)]
        return [status for status in RequestStatus.values if status in moves]

    def move_to(self, status: str, *, now=None) -> None:
        """Change status in memory, refusing any move REQUEST_MOVES does not allow."""
        check_move(
            REQUEST_MOVES, self.status, status, what="request", states=RequestStatus, field="status"
        )
        target = RequestStatus(status)
        now = now or timezone.now()
        self.status = target
        if target == RequestStatus.RESOLVED:
            self.resolved_at = now
        elif target == RequestStatus.CLOSED:
            self.closed_at = now
        elif target in OPEN_STATUSES:
            self.resolved_at = None  # reopened: the earlier fix did not hold


class UpdateKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Comment")
    STATUS = "status", _("Status changed")


@access_rule(owner="request__customer__user", staff=STAFF_ROLES)
class ServiceRequestUpdate(models.Model):
    """One entry in a request's history. Internal notes are for staff eyes only."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=10, choices=UpdateKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(max_length=10_000, blank=True)
    internal = models.BooleanField(default=False)
    from_status = models.CharField(max_length=20, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=RequestStatus.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="sreq_update_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def by_staff(self) -> bool:
        return self.author is not None and self.author.is_staff_role


# Service credits live in their own module; imported here so Django finds the model.
from onboarding.sysops.credit_models import ServiceCredit  # noqa: E402, F401
