"""The contracts app's audit events, one typed function each: nothing else writes them.

A contract issued, its document generated, delivered and read, acknowledged, amended, renewed,
cancelled, and moved on by the periodic pass; a template published.
"""

from onboarding.accounts.models import User
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.contracts.models import (
    Contract,
    ContractAcceptance,
    ContractDocument,
    ContractState,
    ContractTemplate,
)

# --- Templates and documents -------------------------------------------------------------------


def template_published(*, actor: User, template: ContractTemplate) -> None:
    audit_record(
        action="contract.template_published",
        actor=actor,
        target=template,
        changes={"version": template.version},
        message=template.note,
    )


def document_generated(*, contract: Contract, document: ContractDocument) -> None:
    audit_record(
        action="contract.document_generated",
        target=contract,
        customer_id=contract.customer_id,
        changes={
            "version": document.version,
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "template_version": document.template.version,
        },
    )


def generation_retried(*, actor: User, contract: Contract) -> None:
    audit_record(
        action="contract.generation_retried",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"version": contract.document_version_wanted},
    )


def document_viewed(*, actor, document: ContractDocument) -> None:
    """Someone read (or downloaded) a stored version of the contract."""
    contract = document.contract
    audit_record(
        action="contract.document_viewed",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"version": document.version, "sha256": document.sha256},
    )


# --- Issuing and delivery ----------------------------------------------------------------------


def contract_issued(*, actor: User | None, contract: Contract, states: list[str]) -> None:
    audit_record(
        action="contract.issued",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={
            "state": states,
            "number": contract.number,
            "subscription": contract.subscription_id,
            "term_index": contract.term_index,
            "term_start": contract.term_start,
            "term_end": contract.term_end,
            "price": str(contract.price),
            "cycle": contract.cycle,
        },
    )


def notice_sent(*, contract: Contract, version: int, channels: list[str]) -> None:
    audit_record(
        action="contract.notice_sent",
        target=contract,
        customer_id=contract.customer_id,
        changes={"version": version, "channels": channels},
        message="Log notification: contract notice sent to the preferred inbox",
    )


def contract_emailed(
    *, actor: User | None, contract: Contract, document: ContractDocument, address: str
) -> None:
    audit_record(
        action="contract.emailed",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"version": document.version, "to": address, "sha256": document.sha256},
        message="Log notification: contract PDF emailed to the acknowledged address",
    )


def email_withheld(*, contract: Contract) -> None:
    """No verified address: the notice went out, the PDF did not."""
    audit_record(
        action="contract.email_withheld",
        target=contract,
        customer_id=contract.customer_id,
        outcome=Outcome.FAILURE,
        message="no verified email address: the PDF was not emailed",
    )


def contract_sent(*, contract: Contract, states: list[str], version: int, emailed: bool) -> None:
    audit_record(
        action="contract.sent",
        target=contract,
        customer_id=contract.customer_id,
        changes={"state": states, "version": version, "emailed": emailed},
    )


# --- Acknowledgement ---------------------------------------------------------------------------


def acknowledge_refused(*, actor: User, contract: Contract, offered: str, current: str) -> None:
    """The customer acknowledged a document (by its hash) that is not the current one."""
    audit_record(
        action="contract.acknowledge_refused",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        outcome=Outcome.REFUSED,
        changes={"offered_sha256": offered[:64], "current_sha256": current},
        message="the document acknowledged is not the current stored document",
    )


def contract_acknowledged(
    *, actor: User, contract: Contract, acceptance: ContractAcceptance, changes: dict
) -> None:
    """`changes` holds the version, hash and name acknowledged, and the state moves if any."""
    audit_record(
        action="contract.acknowledged",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes=changes,
        message=f"acknowledged as {acceptance.reference}",
    )


# --- Lifecycle ---------------------------------------------------------------------------------


def contract_amended(*, actor: User, contract: Contract, states: list[str], reason: str) -> None:
    audit_record(
        action="contract.amended",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"state": states, "version": contract.document_version_wanted},
        message=reason[:500],
    )


def contract_renewed(
    *, actor: User | None, contract: Contract, states: list[str], following: Contract
) -> None:
    audit_record(
        action="contract.renewed",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={
            "state": states,
            "renewed_by": following.number,
            "next_term_start": following.term_start,
        },
    )


def contract_cancelled(
    *, actor: User, contract: Contract, states: list[str], billing_stopped: bool, reason: str
) -> None:
    """A person cancelled the contract: the service runs to `service_ends_at`."""
    audit_record(
        action="contract.cancelled",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={
            "state": states,
            "service_ends_at": contract.service_ends_at,
            "billing_stopped": billing_stopped,
        },
        message=reason[:500],
    )


def contract_cancelled_with_subscription(*, contract: Contract, states: list[str]) -> None:
    """The subscription ended (unpaid, or stopped at its period's end): the contract ends too."""
    audit_record(
        action="contract.cancelled",
        target=contract,
        customer_id=contract.customer_id,
        changes={"state": states, "service_ends_at": contract.service_ends_at},
        message="the subscription was cancelled",
    )


def expiry_reminder_sent(*, contract: Contract, days_before: int, sysops: list[User]) -> None:
    audit_record(
        action="contract.expiry_reminder_sent",
        target=contract,
        customer_id=contract.customer_id,
        changes={"days_before": days_before, "sysops": [p.pk for p in sysops]},
        message="Log notification: expiry reminder to the customer and SysOps",
    )


# The periodic pass's moves, by the state reached.
_SCHEDULED_ACTIONS = {
    ContractState.ACTIVE.value: "contract.activated",
    ContractState.EXPIRING.value: "contract.expiring",
    ContractState.EXPIRED.value: "contract.expired",
}


def contract_moved_by_schedule(*, contract: Contract, states: list[str]) -> None:
    """The periodic pass moved the contract to active, expiring or expired (its state now)."""
    audit_record(
        action=_SCHEDULED_ACTIONS[contract.state],
        target=contract,
        customer_id=contract.customer_id,
        changes={"state": states},
    )
