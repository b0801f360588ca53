"""Service credits: what an SLA breach of a request earns the customer under the plan's terms,
proposed for a manager to approve (service_credits.py).

A proposal is not a billing credit note: billing's draft credit note is a refund already being
sent to the payment provider. Approval issues the credit note through billing's refund service
and keeps a link to it here.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from onboarding.billing.states import CreditNoteStatus
from onboarding.core.access import access_rule
from onboarding.core.money import Money
from onboarding.core.roles import Role
from onboarding.core.transitions import check_move


class ServiceCreditStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("service credit status", "Proposed")
    APPROVED = "approved", pgettext_lazy("service credit status", "Approved")
    DECLINED = "declined", pgettext_lazy("service credit status", "Declined")
    # Approved, but the credit could not be issued (the provider refused the refund, nothing
    # was left to credit): nothing was paid out; a manager may approve again or decline.
    FAILED = "failed", pgettext_lazy("service credit status", "Failed")


# Every allowed move, in one place; anything else is refused.
SERVICE_CREDIT_MOVES: dict[str, frozenset[str]] = {
    ServiceCreditStatus.PROPOSED: frozenset(
        {ServiceCreditStatus.APPROVED, ServiceCreditStatus.DECLINED, ServiceCreditStatus.FAILED}
    ),
    ServiceCreditStatus.FAILED: frozenset(
        {ServiceCreditStatus.APPROVED, ServiceCreditStatus.DECLINED, ServiceCreditStatus.FAILED}
    ),
    # Only while its credit note was cancelled (billing's re-send of an unanswered refund was
    # refused: nothing paid out); service_credits._pending checks that.
    ServiceCreditStatus.APPROVED: frozenset(
        {ServiceCreditStatus.APPROVED, ServiceCreditStatus.DECLINED, ServiceCreditStatus.FAILED}
    ),
    ServiceCreditStatus.DECLINED: frozenset(),
}
# Waiting for a manager: pending first on the managers' page.
PENDING_STATUSES = (ServiceCreditStatus.PROPOSED, ServiceCreditStatus.FAILED)
# Counted against the plan's cap on the invoice they would credit.
CAPPED_STATUSES = (ServiceCreditStatus.PROPOSED, ServiceCreditStatus.APPROVED)
DECIDERS = frozenset({Role.MANAGER, Role.ADMIN})


@access_rule(owner=None, staff=DECIDERS)
class ServiceCredit(models.Model):
    """A service credit proposed for one breached SLA clock of a request (one per clock)."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="service_credits"
    )
    subscription = models.ForeignKey(
        "billing.Subscription", on_delete=models.PROTECT, related_name="service_credits"
    )
    request = models.ForeignKey(
        "sysops.ServiceRequest", on_delete=models.PROTECT, related_name="service_credits"
    )
    clock = models.OneToOneField(
        "sla.SlaClock", on_delete=models.PROTECT, related_name="service_credit"
    )
    # The terms it was computed on: percent of one period's net price (`base_minor`).
    percent = models.PositiveSmallIntegerField()
    base_minor = models.BigIntegerField(help_text="One billing period's net price.")
    amount_minor = models.BigIntegerField(help_text="Gross: the credit note's total.")
    currency = models.CharField(max_length=3)
    # The invoice it would credit (the subscription's latest paid one); null: none paid yet.
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_credits",
    )
    status = models.CharField(
        max_length=10, choices=ServiceCreditStatus.choices, default=ServiceCreditStatus.PROPOSED
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    # Set while an approval is sending the refund, so a second click waits (service_credits.py).
    approving_since = models.DateTimeField(null=True, blank=True)
    credit_note = models.ForeignKey(
        "billing.CreditNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="scredit_status_idx"),
            models.Index(fields=["request"], name="scredit_request_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ServiceCreditStatus.values),
                name="scredit_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="scredit_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} ({self.status})"

    @property
    def reference(self) -> str:
        return f"SC-{self.pk:06d}" if self.pk else "SC-new"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def base(self) -> Money:
        return Money(self.base_minor, self.currency)

    @property
    def refund_cancelled(self) -> bool:
        """Approved, but billing cancelled its credit note since (the provider refused the
        refund billing sent again after no answer): nothing was paid out, so a manager decides
        again. Read from the credit note, which billing alone moves."""
        note = self.credit_note
        return (
            self.status == ServiceCreditStatus.APPROVED
            and note is not None
            and note.status == CreditNoteStatus.CANCELLED
        )

    @property
    def refund_state(self) -> str:
        """The credit note's side of an approval: "issued", "confirming" (billing still sends
        it), "cancelled" (not paid out), or "" (no credit note)."""
        note = self.credit_note
        if note is None:
            return ""
        return {
            CreditNoteStatus.ISSUED: "issued",
            CreditNoteStatus.DRAFT: "confirming",
            CreditNoteStatus.CANCELLED: "cancelled",
        }[note.status]

    @property
    def state_display(self) -> str:
        """The status as it truly stands, the credit note's state included."""
        if self.status != ServiceCreditStatus.APPROVED or self.credit_note is None:
            return self.get_status_display()
        if self.refund_state == "confirming":
            return gettext("Approved, refund being confirmed with the payment provider")
        if self.refund_state == "cancelled":
            why = self.credit_note.failure_message
            if why:
                return gettext(
                    "Approved, refund not completed: the credit note was cancelled ({reason})"
                ).format(reason=why.rstrip("."))
            return gettext("Approved, refund not completed: the credit note was cancelled")
        return self.get_status_display()

    @property
    def is_pending(self) -> bool:
        """Waiting for a manager: proposed, failed, or approved with its credit note cancelled."""
        return self.status in PENDING_STATUSES or self.refund_cancelled

    def move_to(self, status: str) -> None:
        """Change status in memory, refusing any move SERVICE_CREDIT_MOVES does not allow."""
        check_move(
            SERVICE_CREDIT_MOVES,
            self.status,
            status,
            what="service credit",
            states=ServiceCreditStatus,
        )
        self.status = status
