"""Moving one contract between states: the row lock every write takes, the move with its
before/after pair for the audit entry, and the event other apps hear when a contract becomes
active.

The states and their allowed moves are in models.py (ContractState, Contract.move_to).
"""

from onboarding.contracts.models import Contract
from onboarding.notifications.services import outbox_publish

# Published when a contract becomes active (acceptance consumes it).
CONTRACT_ACTIVATED_TOPIC = "contract.activated"


def contract_locked(*, contract: Contract) -> Contract:
    """The contract read again under a row lock, with what every write needs alongside; call it
    inside a transaction."""
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer__user", "subscription", "plan__product", "previous")
        .get(pk=contract.pk)
    )


def contract_move(*, contract: Contract, state: str) -> list[str]:
    """Move `contract` to `state` (refused if that move is not allowed); returns [before, after]
    for the audit entry. The caller saves the row."""
    before = contract.state
    contract.move_to(state)
    return [before, state]


def contract_activated_publish(*, contract: Contract) -> None:
    """Tell other contexts the contract is active (acceptance starts waiting for the support
    requirements); once per contract."""
    outbox_publish(
        topic=CONTRACT_ACTIVATED_TOPIC,
        payload={"contract_id": contract.pk, "customer_id": contract.customer_id},
        dedupe_key=f"contract:{contract.pk}:activated",
    )
