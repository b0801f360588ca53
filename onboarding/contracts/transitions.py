"""Moving one contract between states: the row lock every write takes, the move with its
before/after pair for the audit entry, and the event other apps hear when a contract becomes
active; and what a person is told when an action on a contract fails on our side.

The states and their allowed moves are in models.py (ContractState, Contract.move_to).
"""

from django.utils.translation import gettext_lazy

from onboarding.alerts.failures import FailureNotice
from onboarding.billing.dunning_holds import dunning_hold_lift
from onboarding.billing.states import HoldSource
from onboarding.contracts.models import Contract, ContractState
from onboarding.core import clock
from onboarding.notifications.services import outbox_publish

_ENDED_STATES = (ContractState.EXPIRED, ContractState.RENEWED, ContractState.CANCELLED)

# Published when a contract becomes active (acceptance consumes it).
CONTRACT_ACTIVATED_TOPIC = "contract.activated"
# Published when a contract ends, whatever ended it: expired, renewed (the next term is rated
# on its own contract), or cancelled by a person, by a review's action or with the
# subscription billing cancelled (unpaid, stopped at its period's end). Acceptance consumes it:
# a review's next-action clock stops, no action being owed on an ended contract.
CONTRACT_ENDED_TOPIC = "contract.ended"

# The failure of every action a person takes on a contract (email, retry, amend, renew, cancel):
# the services that move or touch a contract all lock it here, so their notice lives here too.
ACTION_FAILED = FailureNotice(
    "contract_action_failed",
    gettext_lazy(
        "This could not be done because of a problem on our side; our team has been told."
    ),
)


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
    if state in _ENDED_STATES:
        # Its red acceptance no longer holds the customer's dunning back: the service it rated
        # ends here (a renewed term is rated on its own contract).
        dunning_hold_lift(
            customer_id=contract.customer_id,
            source=HoldSource.ACCEPTANCE,
            reference=contract.pk,
            # The value, not the (translated) label: the reason is recorded, in English.
            because=f"contract {contract.number} is {state}",
        )
        # Sent with the caller's transaction: it exists if and only if the move is saved.
        outbox_publish(
            topic=CONTRACT_ENDED_TOPIC,
            payload={
                "contract_id": contract.pk,
                "customer_id": contract.customer_id,
                "state": state,
                # An expired contract ended with its term (the periodic pass notices later).
                "ended_at": (
                    min(contract.term_end, clock.now())
                    if state == ContractState.EXPIRED
                    else clock.now()
                ).isoformat(),
            },
            dedupe_key=f"contract:{contract.pk}:ended",
        )
    return [before, state]


def contract_activated_publish(*, contract: Contract) -> None:
    """Tell other contexts the contract is active (acceptance starts waiting for the support
    requirements); once per contract."""
    outbox_publish(
        topic=CONTRACT_ACTIVATED_TOPIC,
        payload={"contract_id": contract.pk, "customer_id": contract.customer_id},
        dedupe_key=f"contract:{contract.pk}:activated",
    )
