"""Dunning holds: while one is on a customer, dunning never makes their invoices past due on its
own; a manager decides (dunning_holds.py)."""

from django.db import models
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.billing.hold_texts import hold_reason_text
from onboarding.billing.states import HoldSource
from onboarding.core.access import access_rule
from onboarding.core.roles import STAFF_ROLES


class DunningHoldQuerySet(models.QuerySet["DunningHold"]):
    def active(self) -> "DunningHoldQuerySet":
        return self.filter(lifted_at__isnull=True)


@access_rule(owner=None, staff=STAFF_ROLES)
class DunningHold(models.Model):
    """One reason a customer's dunning waits for a manager: a contract whose acceptance is red
    (`reference` the contract's id), or an open high or critical request (the request's id).
    Placed and lifted by the apps above through dunning_hold_place / dunning_hold_lift; a lifted
    hold stays as history."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="dunning_holds")
    source = models.CharField(max_length=16, choices=HoldSource.choices)
    reference = models.CharField(max_length=64)
    reason = models.CharField(max_length=255)
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    objects = DunningHoldQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "source", "reference"],
                condition=models.Q(lifted_at__isnull=True),
                name="dunning_hold_one_active",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=HoldSource.values), name="dunning_hold_source_valid"
            ),
        ]
        indexes = [models.Index(fields=["customer", "lifted_at"], name="dunning_hold_customer_idx")]

    def __str__(self) -> str:
        return f"Dunning hold on {self.customer_id}: {self.reason}"

    @property
    def reason_text(self) -> str:
        """The reason in the active language (recorded in English)."""
        return hold_reason_text(self.reason)

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
