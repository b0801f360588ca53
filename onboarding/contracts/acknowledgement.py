"""The customer acknowledges the exact document they read, identified by its SHA-256.

Acknowledging a sent contract makes it acknowledged, and active at once if its term has
started (otherwise the lifecycle pass activates it when the term starts), and queues the
rendering of its certificate of acceptance (certificates.py). An unexpected failure
is reported at the service's boundary (alerts.failures.failure_reported) with ACKNOWLEDGE_FAILED.
"""

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import User
from onboarding.alerts.failures import FailureNotice, failure_reported
from onboarding.contracts.certificates import certificate_generation_enqueue
from onboarding.contracts.delivery import contract_notice_send
from onboarding.contracts.events import acknowledge_refused, contract_acknowledged
from onboarding.contracts.models import (
    ACKNOWLEDGEABLE_STATES,
    Contract,
    ContractAcceptance,
    ContractDocument,
    ContractState,
)
from onboarding.contracts.transitions import (
    contract_activated_publish,
    contract_locked,
    contract_move,
)
from onboarding.core import clock
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, DomainError, NotFound

S = ContractState
ACKNOWLEDGE_FAILED = FailureNotice(
    "contract_acknowledge_failed",
    gettext_lazy(
        "Your acknowledgement could not be recorded because of a problem on our side. "
        "Nothing was recorded, and our team has been told."
    ),
)


def _normalised_hash(value: str) -> str:
    return "".join((value or "").split()).lower()


@failure_reported(ACKNOWLEDGE_FAILED, target="contract")
def contract_acknowledge(
    *,
    contract: Contract,
    actor: User,
    typed_name: str,
    document_sha256: str,
    client_ip: str | None,
    user_agent: str,
) -> ContractAcceptance:
    """The customer (`actor`) acknowledges the exact document they read, identified by its
    SHA-256.

    Refused (409) when the hash is not the stored current document's (the page was stale, or
    the document changed); the refusal is audited. Acknowledging the same document twice returns
    the first acceptance.
    """
    name = mask_card_numbers(" ".join((typed_name or "").split()))
    if len(name) < 2:
        raise DomainError(gettext("Type your full name to acknowledge the contract."), field="name")
    if len(name) > 200:
        raise DomainError(gettext("That name is too long."), field="name")
    refusal: DomainError | None = None
    with transaction.atomic():
        contract = contract_locked(contract=contract)
        if actor.pk != contract.customer_id:
            raise NotFound(gettext("No such contract."))
        document = ContractDocument.objects.filter(
            contract=contract, version=contract.document_version_wanted
        ).first()
        if document is None or contract.state in (S.DRAFT, S.ISSUED):
            raise Conflict(
                gettext(
                    "This contract is still being prepared; you can acknowledge it once it is "
                    "ready."
                )
            )
        if contract.state not in ACKNOWLEDGEABLE_STATES:
            raise Conflict(
                gettext("A contract in the state “{state}” cannot be acknowledged.").format(
                    state=contract.get_state_display()
                )
            )
        offered = _normalised_hash(document_sha256)
        if offered != document.sha256:
            # Recorded in this transaction, which commits: the refusal is raised after it.
            acknowledge_refused(
                actor=actor, contract=contract, offered=offered, current=document.sha256
            )
            refusal = Conflict(
                gettext(
                    "The contract you read is not the current version. Reload the page, read it "
                    "again, and acknowledge that version."
                ),
                field="document_sha256",
            )
        else:
            acceptance = ContractAcceptance.objects.filter(document=document).first()
            if acceptance is not None:
                return acceptance
            acceptance = ContractAcceptance.objects.create(
                contract=contract,
                document=document,
                user=actor,
                typed_name=name,
                client_ip=client_ip or None,
                user_agent=(user_agent or "")[:500],
                document_sha256=document.sha256,
                language=document.template.language,
            )
            changes = {
                "version": document.version,
                "sha256": document.sha256,
                "language": document.template.language,
                "name": name,
            }
            if contract.state == S.SENT:
                states = contract_move(contract=contract, state=S.ACKNOWLEDGED)
                if contract.term_start <= clock.now():
                    states.append(contract_move(contract=contract, state=S.ACTIVE)[1])
                contract.save(update_fields=["state", "updated_at"])
                if contract.state == S.ACTIVE:
                    contract_activated_publish(contract=contract)
                changes["state"] = states
            contract_acknowledged(
                actor=actor, contract=contract, acceptance=acceptance, changes=changes
            )
            # The worker renders the certificate the notice links to; a download never does.
            certificate_generation_enqueue(acceptance=acceptance)
            contract_notice_send(
                contract=contract,
                kind="contract_acknowledged",
                subject=format_lazy(
                    gettext_lazy("You acknowledged contract {number}"), number=contract.number
                ),
                template="contracts/email/contract_acknowledged",
                context={"acceptance": acceptance},
                dedupe_key=f"contract:{contract.pk}:v{document.version}:acknowledged",
            )
            return acceptance
    raise refusal
