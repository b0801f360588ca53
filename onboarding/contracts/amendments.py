"""The contract follows the plan: when billing changes a subscription's plan, quantity or cycle
mid-term (its "subscription.terms_changed" event), the contract in force takes the new
commercial and service terms and is amended (lifecycle.contract_amend: a new document version
to acknowledge, the earlier ones kept). Acceptance then hears "contract.plan_changed" and adds
the new plan's standard requirements for SysOps to rate.
"""

from django.db import transaction

from onboarding.billing.models import Subscription
from onboarding.contracts.issuing import service_terms_of
from onboarding.contracts.lifecycle import contract_amend
from onboarding.contracts.models import IN_FORCE_STATES, Contract
from onboarding.notifications.services import outbox_publish

# Published when an amendment brought a contract onto another plan (acceptance consumes it).
CONTRACT_PLAN_CHANGED_TOPIC = "contract.plan_changed"


@transaction.atomic
def contract_follow_subscription(*, subscription_id: int, key: str) -> Contract | None:
    """Amend the subscription's contract in force to its current terms; None if it has none
    (the next contract is issued with the new terms) or the terms already match. `key` names
    the change, so a redelivered event amends once."""
    subscription = (
        Subscription.objects.select_related("plan__product").filter(pk=subscription_id).first()
    )
    contract = (
        Contract.objects.select_for_update()
        .filter(subscription_id=subscription_id, state__in=IN_FORCE_STATES)
        .order_by("-term_index")
        .first()
    )
    if subscription is None or contract is None:
        return None
    plan = subscription.plan
    terms = {
        "plan_id": plan.pk,
        "cycle": subscription.cycle,
        "amount_minor": subscription.amount_minor * subscription.quantity,
        "product_name": plan.product.name,
        "plan_name": plan.name,
        "service_terms": service_terms_of(subscription),
    }
    if all(getattr(contract, name) == value for name, value in terms.items()):
        return None
    plan_changed = contract.plan_id != plan.pk
    for name, value in terms.items():
        setattr(contract, name, value)
    contract.save(update_fields=[*[n.removesuffix("_id") for n in terms], "updated_at"])
    quantity = f"{subscription.quantity} {plan.unit_name_plural}"
    contract = contract_amend(
        contract=contract,
        actor=None,
        reason=f"Plan changed to {plan.name} ({quantity}, {subscription.cycle}) [{key}]",
    )
    if plan_changed:
        outbox_publish(
            topic=CONTRACT_PLAN_CHANGED_TOPIC,
            payload={"contract_id": contract.pk, "plan_id": plan.pk},
            dedupe_key=f"contract:{contract.pk}:plan:{key}",
        )
    return contract
