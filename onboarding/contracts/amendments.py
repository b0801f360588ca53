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
from onboarding.contracts.models import AMENDABLE_STATES, Contract, ContractState
from onboarding.notifications.services import outbox_publish

# Published when an amendment brought a contract onto another plan (acceptance consumes it).
CONTRACT_PLAN_CHANGED_TOPIC = "contract.plan_changed"


@transaction.atomic
def contract_follow_subscription(*, subscription_id: int, key: str) -> list[Contract]:
    """Amend the subscription's current contracts to its current terms; the ones amended (none
    when it has none, since the next contract is issued with the new terms, or when the terms
    already match). Besides the contracts in force, one still being issued is amended too (a
    new version supersedes the one in the making), and a draft only takes the terms, as its
    first document is yet to be made. `key` names the change, so a redelivered event amends
    once."""
    subscription = (
        Subscription.objects.select_related("plan__product").filter(pk=subscription_id).first()
    )
    if subscription is None:
        return []
    contracts = (
        Contract.objects.select_for_update()
        .filter(
            subscription_id=subscription_id,
            state__in=(ContractState.DRAFT, *AMENDABLE_STATES),
        )
        .order_by("term_index")
    )
    return [
        amended
        for contract in contracts
        if (amended := _follow(contract, subscription=subscription, key=key)) is not None
    ]


def _follow(contract: Contract, *, subscription: Subscription, key: str) -> Contract | None:
    plan = subscription.plan
    terms = {
        "plan_id": plan.pk,
        "cycle": subscription.cycle,
        "amount_minor": subscription.amount_minor * subscription.quantity,
        "product_name": plan.product.name,
        "plan_name": plan.name,
        "service_terms": service_terms_of(subscription, language=contract.language),
    }
    if all(getattr(contract, name) == value for name, value in terms.items()):
        return None
    plan_changed = contract.plan_id != plan.pk
    for name, value in terms.items():
        setattr(contract, name, value)
    contract.save(update_fields=[*[n.removesuffix("_id") for n in terms], "updated_at"])
    if contract.state == ContractState.DRAFT:
        return contract
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
