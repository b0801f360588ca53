"""Changes other apps ask of a subscription: billing owns the row, so these are the only writes
to it from outside billing, each audited.
"""

from django.db import transaction

from onboarding.accounts.models import User
from onboarding.billing import events
from onboarding.billing.models import LIVE_STATUSES, Subscription


@transaction.atomic
def subscription_stop_at_period_end(
    *, subscription: Subscription, actor: User | None, because: str
) -> bool:
    """Stop billing at the end of the period already paid; the subscription is cancelled then
    (the bill run). True if it changed now; False if it is not live or already stopping.

    Runs inside the caller's transaction when there is one, so the stop commits or rolls back
    with the change that asked for it. `because` ends the audit message ("contract cancelled").
    """
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.status not in LIVE_STATUSES or locked.cancel_at_period_end:
        return False
    locked.cancel_at_period_end = True
    locked.save(update_fields=["cancel_at_period_end"])
    events.subscription_stopping(actor=actor, subscription=locked, because=because)
    return True
