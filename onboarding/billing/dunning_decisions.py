"""A manager's decision on an invoice whose dunning waits for one (dunning_holds.py).

- past due: what dunning would have done; the invoice is uncollectible now and its subscription
  past due (charging.invoices_give_up).
- extend: one more retry, `days` days from now (1 to 30); if it fails too and a hold is still on,
  the invoice waits for a manager again, otherwise it becomes uncollectible as usual.

The staff invoice page, the staff customer view and the API call `invoice_dunning_decide`.
"""

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext

from onboarding.accounts.models import User
from onboarding.audit.services import audit_record
from onboarding.billing.charging import invoices_give_up
from onboarding.billing.models import Invoice, InvoiceStatus, RetryStop
from onboarding.billing.states import DunningDecision
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.roles import Role

DECIDING_ROLES = (Role.MANAGER, Role.ADMIN)
EXTEND_DAYS_MIN, EXTEND_DAYS_MAX = 1, 30


def actor_may_decide(actor: User | None) -> bool:
    return bool(actor and actor.is_active and getattr(actor, "role", None) in DECIDING_ROLES)


def _days_checked(days: object) -> int:
    try:
        value = int(days)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        value = 0
    if isinstance(days, bool) or not EXTEND_DAYS_MIN <= value <= EXTEND_DAYS_MAX:
        raise DomainError(
            gettext("Give the customer between {low} and {high} days.").format(
                low=EXTEND_DAYS_MIN, high=EXTEND_DAYS_MAX
            ),
            field="days",
        )
    return value


@transaction.atomic
def invoice_dunning_decide(
    *, invoice: Invoice, decision: str, actor: User, days: int | None = None
) -> Invoice:
    """Decide on a held invoice: past due now, or one more retry `days` days ahead. Managers and
    admins only; audited as `invoice.dunning_decided`."""
    if not actor_may_decide(actor):
        raise Forbidden(
            gettext("Only a manager (or an admin) can decide on a held invoice's dunning.")
        )
    if decision not in DunningDecision.values:
        raise DomainError(gettext("Choose past due or more time."), field="decision")
    extend_days = _days_checked(days) if decision == DunningDecision.EXTEND else None
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.OPEN or locked.retry_stopped != RetryStop.MANAGER_DECISION:
        raise Conflict(
            gettext(
                "Invoice {number} is not waiting for a dunning decision ({status}); nothing was "
                "changed."
            ).format(number=locked.number, status=locked.get_status_display().lower())
        )
    now = clock.now()
    locked.retry_stopped = RetryStop.NONE
    if extend_days is None:
        locked.save(update_fields=["retry_stopped"])
        invoices_give_up([locked], now=now, because="a manager decided it is past due", actor=actor)
        message = f"{locked.number}: past due, decided by a manager"
    else:
        locked.next_retry_at = now + timedelta(days=extend_days)
        locked.save(update_fields=["retry_stopped", "next_retry_at"])
        message = f"{locked.number}: {extend_days} more days, one more retry"
    audit_record(
        action="invoice.dunning_decided",
        actor=actor,
        target=locked,
        customer_id=locked.customer_id,
        changes={
            "decision": decision,
            "days": extend_days,
            "retry_stopped": [RetryStop.MANAGER_DECISION, ""],
            "status": locked.status,
            "next_retry_at": locked.next_retry_at.isoformat() if locked.next_retry_at else None,
        },
        message=message,
    )
    return locked
