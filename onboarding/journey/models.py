from django.db import models
from django.utils.translation import gettext_lazy as _

from onboarding.core.access import access_rule
from onboarding.core.roles import STAFF_ROLES


class Step(models.TextChoices):
    """The seed's customer steps, in the order a customer goes through them."""

    ACCOUNT = "account", _("Account and profile")
    CARD_AND_CYCLE = "card_and_cycle", _("Card and billing cycle")
    FIRST_INVOICE = "first_invoice", _("First invoice")
    FIRST_PAYMENT = "first_payment", _("First payment")
    CONTRACT = "contract", _("Contract")

    @classmethod
    def ordered(cls) -> list["Step"]:
        return list(cls)

    @property
    def position(self) -> int:
        return list(Step).index(self)


class StepState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


@access_rule(owner="customer__user", staff=STAFF_ROLES)
class JourneyStep(models.Model):
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.CASCADE, related_name="journey_steps"
    )
    step = models.CharField(max_length=20, choices=Step.choices)
    position = models.PositiveSmallIntegerField(
        help_text="The step's place in the journey, from 0."
    )
    state = models.CharField(max_length=10, choices=StepState.choices, default=StepState.PENDING)
    failure_reason = models.CharField(max_length=300, blank=True)
    failures = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "step"], name="one_row_per_customer_step")
        ]
        indexes = [models.Index(fields=["step", "state"], name="journey_step_state_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.step}: {self.state}"
