"""Delivering contracts: notices to the customer's preferred inbox, and the PDF to their
verified email address.

An email only ever goes to an acknowledged (verified) address. Without one the PDF is withheld:
the contract says why, an admin is alerted, and the journey step waits until the customer
verifies an address and asks for it (contract_email_send), whose unexpected failure is
reported at its boundary (alerts.failures.failure_reported).
"""

from django.conf import settings
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from onboarding.accounts.models import PreferredInbox, User
from onboarding.alerts.failures import failure_reported
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_for
from onboarding.contracts.events import (
    contract_emailed,
    contract_sent,
    email_withheld,
    notice_sent,
)
from onboarding.contracts.incomplete import ContractIncomplete
from onboarding.contracts.models import (
    IN_FORCE_STATES,
    Contract,
    ContractDocument,
    ContractState,
)
from onboarding.contracts.transitions import ACTION_FAILED, contract_locked, contract_move
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete, journey_step_fail
from onboarding.notifications.models import Channel, Notification
from onboarding.notifications.selectors import acknowledged_email_of
from onboarding.notifications.services import Attachment, notification_send

S = ContractState
# Stored in English on the contract (the staff API shows it so); marked so the customer's
# contract page shows it in the reader's language ({% translate contract.delivery_note %}).
EMAIL_WITHHELD_NOTE = gettext_noop(
    "Not emailed: there is no verified email address on the account. Verify your email "
    "address, then use “Email me the contract”. The contract is available here in the meantime."
)


def _notice_channels(user: User, verified: str | None) -> list[str]:
    """The preferred inbox; an email notice only ever goes to a verified address."""
    if user.preferred_inbox == PreferredInbox.EMAIL and verified:
        return [Channel.EMAIL]
    return [Channel.IN_APP]


def contract_notice_send(
    *, contract: Contract, kind: str, subject: str, template: str, context: dict, dedupe_key: str
) -> list[str]:
    """A notice about `contract` to the customer's preferred inbox (email only to a verified
    address); returns the channels used."""
    user = contract.customer.user
    verified = acknowledged_email_of(user)
    channels = _notice_channels(user, verified)
    notification_send(
        recipient=user,
        kind=kind,
        subject=subject,
        template=template,
        context={"contract": contract, "user": user, "site_url": settings.SITE_URL, **context},
        dedupe_key=dedupe_key,
        channels=channels,
        to_email=verified if Channel.EMAIL in channels else None,
        language=contract.language,  # the contract's, as its document
    )
    return channels


def _email_document(
    contract: Contract, document: ContractDocument, address: str, actor: User | None
) -> None:
    user = contract.customer.user
    notification_send(
        recipient=user,
        kind="contract_document",
        subject=format_lazy(
            gettext_lazy("Your support contract {number} (PDF)"), number=contract.number
        ),
        template="contracts/email/contract_document",
        context={
            "contract": contract,
            "document": document,
            "user": user,
            "site_url": settings.SITE_URL,
        },
        dedupe_key=f"contract:{contract.pk}:v{document.version}:email:{address.lower()}"[:255],
        channels=[Channel.EMAIL],
        to_email=address,
        language=contract.language,  # the PDF's, whatever the customer reads in today
        attachments=[Attachment(document.filename, "application/pdf", document.storage_path)],
    )
    contract_emailed(actor=actor, contract=contract, document=document, address=address)


def _emailed_alerts_resolve(contract: Contract) -> None:
    admin_alerts_resolve_for(
        success="contract_emailed",
        customer_id=contract.customer_id,
        target=contract,
        because=f"contract {contract.number} was emailed to the customer.",
    )


def contract_deliver(*, contract: Contract) -> Contract:
    """Tell the customer the contract is ready (preferred inbox) and email them the PDF at their
    acknowledged (verified) address; both audited. Without a verified address nothing is emailed:
    the contract says why, an admin is alerted, and the journey step waits. Idempotent."""
    withheld = False
    with transaction.atomic():
        contract = contract_locked(contract=contract)
        version = contract.document_version_wanted
        if contract.delivered_version >= version or contract.state != S.ISSUED:
            return contract
        document = ContractDocument.objects.filter(contract=contract, version=version).first()
        if document is None:
            raise ContractIncomplete(f"document version {version} is not stored yet")
        verified = acknowledged_email_of(contract.customer.user)
        channels = contract_notice_send(
            contract=contract,
            kind="contract_ready",
            subject=format_lazy(
                gettext_lazy("Your support contract {number} is ready"), number=contract.number
            ),
            template="contracts/email/contract_ready",
            context={"document": document, "emailed_to": verified},
            dedupe_key=f"contract:{contract.pk}:v{version}:notice",
        )
        notice_sent(contract=contract, version=version, channels=channels)
        if verified:
            _email_document(contract, document, verified, actor=None)
            contract.delivery_note = ""
        else:
            withheld = True
            contract.delivery_note = EMAIL_WITHHELD_NOTE
            email_withheld(contract=contract)
        states = contract_move(contract=contract, state=S.SENT)
        contract.sent_at = clock.now()
        contract.delivered_version = version
        contract.save(
            update_fields=["state", "sent_at", "delivered_version", "delivery_note", "updated_at"]
        )
        contract_sent(contract=contract, states=states, version=version, emailed=not withheld)
        if withheld:
            journey_step_fail(
                customer=contract.customer,
                step=Step.CONTRACT,
                reason="Your contract could not be emailed: verify your email address.",
            )
            admin_alert_raise(
                reason="contract_email_unverified",
                message=(
                    f"Contract {contract.number} was not emailed: customer "
                    f"{contract.customer.reference} has no verified email address."
                ),
                target=contract,
                customer_id=contract.customer_id,
                severity="warning",
            )
        else:
            journey_step_complete(customer=contract.customer, step=Step.CONTRACT)
            _emailed_alerts_resolve(contract)
    return contract


@failure_reported(ACTION_FAILED, target="contract")
@transaction.atomic
def contract_email_send(*, contract: Contract, actor: User) -> Contract:
    """Email the current document to the customer's verified address now (e.g. after they
    verified one). Refused without a verified address, or if it was already sent there."""
    contract = contract_locked(contract=contract)
    document = ContractDocument.objects.filter(
        contract=contract, version=contract.document_version_wanted
    ).first()
    if document is None or contract.state not in (*IN_FORCE_STATES, S.RENEWED):
        raise Conflict(gettext("This contract has no document to email yet."))
    user = contract.customer.user
    verified = acknowledged_email_of(user)
    if not verified:
        raise DomainError(
            gettext("There is no verified email address on this account: verify one first."),
            field="email",
        )
    key = f"contract:{contract.pk}:v{document.version}:email:{verified.lower()}"[:255]
    if Notification.objects.filter(dedupe_key=key).exists():
        raise Conflict(
            gettext("This version was already emailed to {email}.").format(email=verified)
        )
    _email_document(contract, document, verified, actor=actor)
    if contract.delivery_note:
        contract.delivery_note = ""
        contract.save(update_fields=["delivery_note", "updated_at"])
    journey_step_complete(customer=contract.customer, step=Step.CONTRACT)
    _emailed_alerts_resolve(contract)
    return contract
