"""Risk events: what nobody acknowledged in time, for the real-time reporting queue.

The table is the stream of the embedded default: every event ever raised, in order, with a
stable id. With REDIS_URL set each event is also published to a Redis Stream (streams.py).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from onboarding.accounts.models import Customer
from onboarding.contracts.models import Contract
from onboarding.core.access import access_rule
from onboarding.core.roles import STAFF_ROLES


class RiskType(models.TextChoices):
    ACCEPTANCE_UNACKNOWLEDGED = (
        "acceptance_unacknowledged",
        _("Yellow or red acceptance not acknowledged by a manager"),
    )
    REQUIREMENTS_UNKNOWN = (
        "requirements_unknown",
        _("Product support requirements unknown to SysOps"),
    )
    SLA_BREACHED = "sla_breached", _("SLA deadline missed (a request or an acceptance next action)")
    HEALTH_RED = "health_red", _("Customer health fell into red")
    HEALTH_UNACKNOWLEDGED = (
        "health_unacknowledged",
        _("Customer in red not acknowledged by a manager"),
    )


class RiskLevel(models.TextChoices):
    RED = "red", pgettext_lazy("risk level", "Red")
    YELLOW = "yellow", pgettext_lazy("risk level", "Yellow")


class RiskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("risk state", "Open")
    RESOLVED = "resolved", pgettext_lazy("risk state", "Resolved")


class RiskEventQuerySet(models.QuerySet):
    def operational(self) -> "RiskEventQuerySet":
        """Risks of real customers: what operations staff watch (the board, its live stream,
        the counts, the staff API). A test customer's risks happen on its test clock's time
        and are seen there (docs/test-clocks.md).

        An anti-join against the test customers, found through Customer.test_clock's index:
        it costs by the few test customers, where a join on "no test clock" would read every
        real customer for a count (docs/test-clocks.md, "Kept out of real reporting")."""
        test_customer = Customer.objects.filter(
            pk=OuterRef("customer_id"), test_clock__isnull=False
        )
        return self.filter(~Exists(test_customer))

    def of_test_clock(self, clock_id: int) -> "RiskEventQuerySet":
        """Risks of the customers bound to test clock `clock_id`."""
        return self.filter(customer__test_clock_id=clock_id)


@access_rule(owner=None, staff=STAFF_ROLES)
class RiskEvent(models.Model):
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dedupe_key = models.CharField(max_length=160, unique=True)
    type = models.CharField(max_length=32, choices=RiskType.choices)
    level = models.CharField(max_length=8, choices=RiskLevel.choices)
    rating = models.CharField(
        max_length=8, blank=True, help_text="The acceptance rating that was not acknowledged."
    )
    reason = models.CharField(max_length=500)
    # What the reason says as values (a contract's number, a deadline, a score...), so the board
    # words it in its reader's language (reasons.py). `reason` stays the English record that the
    # stream, the API and the audit carry; an event raised before this has {} and shows `reason`.
    details = models.JSONField(default=dict, blank=True)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="risk_events")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="risk_events")
    occurred_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=RiskState.choices, default=RiskState.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.CharField(max_length=500, blank=True)

    objects = RiskEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "-id"], name="risk_state_idx"),
            models.Index(fields=["occurred_at"], name="risk_occurred_idx"),
            # The board's "recently resolved", newest first: without it every page load sorts
            # every resolved risk ever.
            models.Index(fields=["-resolved_at"], name="risk_resolved_idx"),
        ]

    def __str__(self) -> str:
        # English in every language: the audit log and the admin record it.
        with translation.override("en"):
            return f"{self.get_type_display()}: {self.contract} ({self.level})"

    def get_absolute_url(self) -> str:
        return reverse("risk:board") + f"#risk-{self.pk}"

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (reasons.py)."""
        from onboarding.risk.reasons import risk_reason  # reasons.py reads RiskType from here

        return risk_reason(self)

    def as_message(self) -> dict:
        """The event as published (docs/events.md, schema version 1)."""
        return {
            "id": str(self.event_id),
            "schema": 1,
            "type": self.type,
            "level": self.level,
            "rating": self.rating or None,
            "reason": self.reason,
            "occurred_at": self.occurred_at.isoformat(),
            "contract": {"id": self.contract_id, "number": self.contract.number},
            "customer": {"id": self.customer_id, "reference": self.customer.reference},
        }
