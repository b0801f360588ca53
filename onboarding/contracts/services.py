"""Writes for contracts: issue, generate, deliver, acknowledge, amend, renew, cancel, remind.

Every function is one business action in one transaction, with its audit entry and its
notifications inside it and its background work queued on commit. Slow work (rendering a PDF)
happens outside any transaction. Everything a task calls is idempotent: it checks the business
state first, so a re-run after a crash does nothing twice.

The flow of one contract (docs/contracts.md):
    contract_issue_for_subscription  -> draft, numbered, issued; generation queued
    contract_document_generate       -> the PDF stored with its SHA-256; delivery queued
    contract_deliver                 -> notice to the preferred inbox, PDF to the verified
                                        address; sent
    contract_acknowledge             -> acknowledged, then active once the term has started
    contracts_lifecycle_advance      -> expiring, reminders, renewed or expired at term end
"""

import calendar
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.template import Context, TemplateSyntaxError
from django.utils import timezone

from onboarding.accounts.models import PreferredInbox, User
from onboarding.alerts.failures import report_failure
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_for
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.billing.models import LIVE_STATUSES, Subscription, SubscriptionStatus
from onboarding.contracts import tasks as contract_tasks  # tasks.py imports this module too
from onboarding.contracts.models import (
    ACKNOWLEDGEABLE_STATES,
    IN_FORCE_STATES,
    Contract,
    ContractAcceptance,
    ContractDocument,
    ContractReminder,
    ContractSequence,
    ContractState,
    ContractTemplate,
)
from onboarding.contracts.rendering import (
    compile_template,
    contract_pdf,
    pdf_from_html,
    sample_context,
)
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, DomainError, NotFound
from onboarding.core.roles import Role
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete, journey_step_fail
from onboarding.notifications.models import Channel, Notification
from onboarding.notifications.selectors import acknowledged_email_of
from onboarding.notifications.services import Attachment, notification_send, outbox_publish
from onboarding.worker.services import enqueue_on_commit, task_enqueue_once

logger = logging.getLogger(__name__)

S = ContractState
ISSUE_TRIGGERS = ("first_payment", "purchase")
INCOMPLETE_REASON = "contract_incomplete"
# Published when a contract becomes active (acceptance consumes it).
CONTRACT_ACTIVATED_TOPIC = "contract.activated"
EMAIL_WITHHELD_NOTE = (
    "Not emailed: there is no verified email address on the account. Verify your email "
    "address, then use “Email me the contract”. The contract is available here in the meantime."
)


class ContractIncomplete(Exception):
    """Generation or delivery could not finish (the seed's "Contract incomplete"); retried."""


# --- small helpers -------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, clamped to the month's end (31 Jan + 1: 28 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


def _locked(contract: Contract) -> Contract:
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer__user", "subscription", "plan__product", "previous")
        .get(pk=contract.pk)
    )


def _move(contract: Contract, state: str) -> list[str]:
    before = contract.state
    contract.move_to(state)
    return [before, state]


def _sysops() -> list[User]:
    return list(User.objects.filter(role=Role.SYSOPS, is_active=True).order_by("pk"))


def _enqueue_generation(contract: Contract) -> None:
    enqueue_on_commit(
        contract_tasks.contract_document_generate_task,
        key=f"contract:{contract.pk}:document:{contract.document_version_wanted}",
        kwargs={"contract_id": contract.pk},
    )


def _enqueue_delivery(contract: Contract, version: int) -> None:
    enqueue_on_commit(
        contract_tasks.contract_deliver_task,
        key=f"contract:{contract.pk}:deliver:{version}",
        kwargs={"contract_id": contract.pk},
    )


# --- issuing -------------------------------------------------------------------------------


def _service_terms(subscription: Subscription) -> dict:
    plan = subscription.plan
    return {
        "tier": plan.tier,
        "summary": plan.summary,
        "response_time_hours": plan.response_time_hours,
        "includes": plan.include_lines,
        "product_description": plan.product.description,
    }


def _contract_draft(
    *, subscription: Subscription, term_index: int, term_start: datetime, previous: Contract | None
) -> Contract | None:
    """Insert the draft for one term; None if that term's contract already exists."""
    plan = subscription.plan
    term_months = max(1, plan.term_months)
    try:
        with transaction.atomic():
            return Contract.objects.create(
                customer=subscription.customer,
                subscription=subscription,
                plan=plan,
                term_index=term_index,
                previous=previous,
                term_start=term_start,
                term_end=add_months(term_start, term_months),
                term_months=term_months,
                cycle=subscription.cycle,
                amount_minor=subscription.amount_minor,
                currency=subscription.currency,
                tax_rate_bp=subscription.tax_rate_bp,
                product_name=plan.product.name,
                plan_name=plan.name,
                service_terms=_service_terms(subscription),
            )
    except IntegrityError:
        # A concurrent run created this term's contract first (one contract per term).
        return None


def contract_number_take(*, year: int) -> str:
    """The next number of `year` (CTR-2026-000001), gap-free: the year's sequence row stays
    locked until the caller's transaction ends, and a rollback gives the number back."""
    ContractSequence.objects.get_or_create(year=year)
    sequence = ContractSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"CTR-{year}-{sequence.last_number:06d}"


def _issue(contract: Contract, *, actor: User | None) -> None:
    """Draft -> issued: number it, want document version 1, queue the generation."""
    now = timezone.now()
    states = _move(contract, S.ISSUED)
    contract.number = contract_number_take(year=now.year)
    contract.issued_at = now
    contract.document_version_wanted = 1
    contract.save(update_fields=["state", "number", "issued_at", "document_version_wanted"])
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
    _enqueue_generation(contract)


@transaction.atomic
def contract_issue_for_subscription(*, subscription: Subscription) -> Contract:
    """The contract for the subscription's first term: issued once, whoever asks how often.

    The term counts from the subscription's billing anchor (when it was bought), the same day
    its billing periods count from. The PDF is generated in the background; until it exists the
    customer sees the contract as pending.
    """
    existing = Contract.objects.filter(subscription_id=subscription.pk, term_index=1).first()
    if existing is not None:
        return existing
    subscription = Subscription.objects.select_related("customer", "plan__product").get(
        pk=subscription.pk
    )
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise Conflict("A cancelled subscription gets no contract.")
    contract = _contract_draft(
        subscription=subscription,
        term_index=1,
        term_start=subscription.billing_anchor,
        previous=None,
    )
    if contract is None:
        return Contract.objects.get(subscription_id=subscription.pk, term_index=1)
    _issue(contract, actor=None)
    return contract


def issue_task_key(subscription_id: int) -> str:
    """The task_enqueue_once key of a subscription's first issue; billing's enqueue (after the
    first payment) uses the same key, so the two never queue it twice."""
    return f"contract-issue:{subscription_id}"


def contract_issue_schedule(*, subscription: Subscription, trigger: str) -> bool:
    """Queue the first contract's issue if `trigger` is the configured one (CONTRACT_ISSUE_ON).

    For billing to call at each moment ("purchase", "first_payment") without knowing the
    setting; True when queued. Runs after the caller's transaction commits.
    """
    if trigger not in ISSUE_TRIGGERS:
        raise ValueError(f"trigger must be one of {ISSUE_TRIGGERS}, not {trigger!r}")
    if trigger != settings.CONTRACT_ISSUE_ON:
        return False
    enqueue_on_commit(
        contract_tasks.contract_issue_for_subscription_task,
        key=issue_task_key(subscription.pk),
        kwargs={"subscription_id": subscription.pk},
    )
    return True


def subscriptions_due_a_contract(*, limit: int = 200) -> list[int]:
    """Subscriptions that CONTRACT_ISSUE_ON says should have a first contract, and have none."""
    due = Subscription.objects.filter(status__in=LIVE_STATUSES)
    if settings.CONTRACT_ISSUE_ON == "first_payment":
        due = due.filter(first_paid_at__isnull=False)  # billing stamps the first payment
    return list(
        due.exclude(contracts__term_index=1).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def contracts_issue_missing(*, limit: int = 200) -> int:
    """Queue the issue of every first contract that is due and missing; returns how many.

    A safety net under billing's own enqueue (and the whole trigger when CONTRACT_ISSUE_ON is
    "purchase"): task_enqueue_once keys make a second sweep queue nothing new.
    """
    queued = 0
    for subscription_id in subscriptions_due_a_contract(limit=limit):
        result = task_enqueue_once(
            contract_tasks.contract_issue_for_subscription_task,
            key=issue_task_key(subscription_id),
            kwargs={"subscription_id": subscription_id},
        )
        queued += int(result is not None)
    return queued


# --- generating the document ---------------------------------------------------------------


def contract_template_current() -> ContractTemplate:
    template = ContractTemplate.objects.order_by("-version").first()
    if template is None:
        raise ContractIncomplete("no contract template has been published")
    return template


def _storage_name(contract: Contract, version: int, sha256: str) -> str:
    return f"contracts/{contract.pk}/{contract.number}-v{version}-{sha256[:16]}.pdf"


def contract_document_generate(*, contract: Contract) -> ContractDocument | None:
    """Render the wanted document version to PDF, store it with its SHA-256, queue delivery.

    Idempotent: the version already stored is returned as it is (a stored document never
    changes). Rendering runs outside any transaction; the row is written in a short one.
    """
    contract = Contract.objects.select_related("customer__user", "previous").get(pk=contract.pk)
    version = contract.document_version_wanted
    if not version or contract.state in (S.DRAFT, S.CANCELLED, S.RENEWED, S.EXPIRED):
        return None
    existing = ContractDocument.objects.filter(contract=contract, version=version).first()
    if existing is not None:
        return existing
    template = contract_template_current()
    rendered = contract_pdf(contract=contract, template=template, version=version)
    path = default_storage.save(
        _storage_name(contract, version, rendered.sha256), ContentFile(rendered.content)
    )
    try:
        with transaction.atomic():
            locked = _locked(contract)
            stored = ContractDocument.objects.filter(contract=locked, version=version).first()
            if stored is not None or locked.document_version_wanted != version:
                raise _LostRace(stored)
            document = ContractDocument.objects.create(
                contract=locked,
                version=version,
                template=template,
                storage_path=path,
                sha256=rendered.sha256,
                size_bytes=len(rendered.content),
            )
            locked.last_error = ""
            locked.save(update_fields=["last_error", "updated_at"])
            audit_record(
                action="contract.document_generated",
                target=locked,
                customer_id=locked.customer_id,
                changes={
                    "version": version,
                    "sha256": rendered.sha256,
                    "size_bytes": len(rendered.content),
                    "template_version": template.version,
                },
            )
            _enqueue_delivery(locked, version)
    except _LostRace as lost:
        default_storage.delete(path)  # ours is not the stored one; theirs stays
        return lost.document
    except BaseException:
        default_storage.delete(path)  # no row points at it: do not leave it behind
        raise
    return document


class _LostRace(Exception):
    def __init__(self, document: ContractDocument | None):
        super().__init__("another run stored this document version first")
        self.document = document


# --- delivery ------------------------------------------------------------------------------


def _notice_channels(user: User, verified: str | None) -> list[str]:
    """The preferred inbox; an email notice only ever goes to a verified address."""
    if user.preferred_inbox == PreferredInbox.EMAIL and verified:
        return [Channel.EMAIL]
    return [Channel.IN_APP]


def _notify_customer(
    contract: Contract, *, kind: str, subject: str, template: str, context: dict, dedupe_key: str
) -> list[str]:
    """A notice to the customer's preferred inbox (email only to a verified address); returns
    the channels used."""
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
    )
    return channels


def _email_document(contract: Contract, document: ContractDocument, address: str, actor) -> None:
    user = contract.customer.user
    notification_send(
        recipient=user,
        kind="contract_document",
        subject=f"Your support contract {contract.number} (PDF)",
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
        attachments=[Attachment(document.filename, "application/pdf", document.storage_path)],
    )
    audit_record(
        action="contract.emailed",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"version": document.version, "to": address, "sha256": document.sha256},
        message="Log notification: contract PDF emailed to the acknowledged address",
    )


def contract_deliver(*, contract: Contract) -> Contract:
    """Tell the customer the contract is ready (preferred inbox) and email them the PDF at their
    acknowledged (verified) address; both audited. Without a verified address nothing is emailed:
    the contract says why, an admin is alerted, and the journey step waits. Idempotent."""
    withheld = False
    with transaction.atomic():
        contract = _locked(contract)
        version = contract.document_version_wanted
        if contract.delivered_version >= version or contract.state != S.ISSUED:
            return contract
        document = ContractDocument.objects.filter(contract=contract, version=version).first()
        if document is None:
            raise ContractIncomplete(f"document version {version} is not stored yet")
        verified = acknowledged_email_of(contract.customer.user)
        channels = _notify_customer(
            contract,
            kind="contract_ready",
            subject=f"Your support contract {contract.number} is ready",
            template="contracts/email/contract_ready",
            context={"document": document, "emailed_to": verified},
            dedupe_key=f"contract:{contract.pk}:v{version}:notice",
        )
        audit_record(
            action="contract.notice_sent",
            target=contract,
            customer_id=contract.customer_id,
            changes={"version": version, "channels": channels},
            message="Log notification: contract notice sent to the preferred inbox",
        )
        if verified:
            _email_document(contract, document, verified, actor=None)
            contract.delivery_note = ""
        else:
            withheld = True
            contract.delivery_note = EMAIL_WITHHELD_NOTE
            audit_record(
                action="contract.email_withheld",
                target=contract,
                customer_id=contract.customer_id,
                outcome=Outcome.FAILURE,
                message="no verified email address: the PDF was not emailed",
            )
        states = _move(contract, S.SENT)
        contract.sent_at = timezone.now()
        contract.delivered_version = version
        contract.save(
            update_fields=["state", "sent_at", "delivered_version", "delivery_note", "updated_at"]
        )
        audit_record(
            action="contract.sent",
            target=contract,
            customer_id=contract.customer_id,
            changes={"state": states, "version": version, "emailed": not withheld},
        )
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


def _emailed_alerts_resolve(contract: Contract) -> None:
    admin_alerts_resolve_for(
        success="contract_emailed",
        customer_id=contract.customer_id,
        target=contract,
        because=f"contract {contract.number} was emailed to the customer.",
    )


@transaction.atomic
def contract_email_send(*, contract: Contract, actor: User) -> Contract:
    """Email the current document to the customer's verified address now (e.g. after they
    verified one). Refused without a verified address, or if it was already sent there."""
    contract = _locked(contract)
    document = ContractDocument.objects.filter(
        contract=contract, version=contract.document_version_wanted
    ).first()
    if document is None or contract.state not in (*IN_FORCE_STATES, S.RENEWED):
        raise Conflict("This contract has no document to email yet.")
    user = contract.customer.user
    verified = acknowledged_email_of(user)
    if not verified:
        raise DomainError(
            "There is no verified email address on this account: verify one first.",
            field="email",
        )
    key = f"contract:{contract.pk}:v{document.version}:email:{verified.lower()}"[:255]
    if Notification.objects.filter(dedupe_key=key).exists():
        raise Conflict(f"This version was already emailed to {verified}.")
    _email_document(contract, document, verified, actor=actor)
    if contract.delivery_note:
        contract.delivery_note = ""
        contract.save(update_fields=["delivery_note", "updated_at"])
    journey_step_complete(customer=contract.customer, step=Step.CONTRACT)
    _emailed_alerts_resolve(contract)
    return contract


# --- failures ------------------------------------------------------------------------------


def contract_incomplete_report(*, contract: Contract, stage: str, error: BaseException) -> None:
    """Generation or delivery failed: note it on the contract, mark the journey step, alert an
    admin and audit (report_failure). Call it after the failed work rolled back; the task then
    raises so the worker retries it."""
    detail = f"{stage}: {error.__class__.__name__}: {error}"[:500]
    try:
        with transaction.atomic():
            locked = _locked(contract)
            locked.last_error = detail
            locked.failures += 1
            locked.save(update_fields=["last_error", "failures", "updated_at"])
            journey_step_fail(
                customer=locked.customer,
                step=Step.CONTRACT,
                reason="Contract incomplete: we are preparing it again and our team has been told.",
            )
    except Exception:  # the database may be what failed; the alert below still tries
        logger.exception("could not note the failure on contract %s", contract.pk)
    report_failure(
        reason=INCOMPLETE_REASON,
        user_message=f"Contract incomplete: {stage} of contract {contract} failed",
        error=error,
        target=contract,
        customer_id=contract.customer_id,
        context={
            "stage": stage,
            "contract": contract.number,
            "attempt_failures": contract.failures + 1,
        },
    )


@transaction.atomic
def contract_generation_retry(*, contract: Contract, actor: User) -> Contract:
    """Staff ask for a pending document to be generated again (e.g. after fixing the template)."""
    contract = _locked(contract)
    if contract.state != S.ISSUED:
        raise Conflict("Only a contract whose document is pending can be generated again.")
    audit_record(
        action="contract.generation_retried",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"version": contract.document_version_wanted},
    )
    if ContractDocument.objects.filter(
        contract=contract, version=contract.document_version_wanted
    ).exists():
        _enqueue_delivery(contract, contract.document_version_wanted)
    else:
        _enqueue_generation(contract)
    return contract


# --- acknowledgement -----------------------------------------------------------------------


def _normalised_hash(value: str) -> str:
    return "".join((value or "").split()).lower()


def contract_acknowledge(
    *,
    contract: Contract,
    user: User,
    typed_name: str,
    document_sha256: str,
    client_ip: str | None,
    user_agent: str,
) -> ContractAcceptance:
    """The customer acknowledges the exact document they read, identified by its SHA-256.

    Refused (409) when the hash is not the stored current document's (the page was stale, or
    the document changed); the refusal is audited. Acknowledging the same document twice returns
    the first acceptance.
    """
    name = mask_card_numbers(" ".join((typed_name or "").split()))
    if len(name) < 2:
        raise DomainError("Type your full name to acknowledge the contract.", field="name")
    if len(name) > 200:
        raise DomainError("That name is too long.", field="name")
    refusal: DomainError | None = None
    with transaction.atomic():
        contract = _locked(contract)
        if user.pk != contract.customer_id:
            raise NotFound("No such contract.")
        document = ContractDocument.objects.filter(
            contract=contract, version=contract.document_version_wanted
        ).first()
        if document is None or contract.state in (S.DRAFT, S.ISSUED):
            raise Conflict(
                "This contract is still being prepared; you can acknowledge it once it is ready."
            )
        if contract.state not in ACKNOWLEDGEABLE_STATES:
            raise Conflict(
                f"A contract that is {contract.get_state_display().lower()} cannot be acknowledged."
            )
        offered = _normalised_hash(document_sha256)
        if offered != document.sha256:
            audit_record(
                action="contract.acknowledge_refused",
                actor=user,
                target=contract,
                customer_id=contract.customer_id,
                outcome=Outcome.REFUSED,
                changes={"offered_sha256": offered[:64], "current_sha256": document.sha256},
                message="the document acknowledged is not the current stored document",
            )
            refusal = Conflict(
                "The contract you read is not the current version. Reload the page, read it "
                "again, and acknowledge that version.",
                field="document_sha256",
            )
        else:
            acceptance = ContractAcceptance.objects.filter(document=document).first()
            if acceptance is not None:
                return acceptance
            acceptance = ContractAcceptance.objects.create(
                contract=contract,
                document=document,
                user=user,
                typed_name=name,
                client_ip=client_ip or None,
                user_agent=(user_agent or "")[:500],
                document_sha256=document.sha256,
            )
            changes = {"version": document.version, "sha256": document.sha256, "name": name}
            if contract.state == S.SENT:
                states = _move(contract, S.ACKNOWLEDGED)
                if contract.term_start <= timezone.now():
                    states.append(_move(contract, S.ACTIVE)[1])
                contract.save(update_fields=["state", "updated_at"])
                if contract.state == S.ACTIVE:
                    _publish_activated(contract)
                changes["state"] = states
            audit_record(
                action="contract.acknowledged",
                actor=user,
                target=contract,
                customer_id=contract.customer_id,
                changes=changes,
                message=f"acknowledged as {acceptance.reference}",
            )
            _notify_customer(
                contract,
                kind="contract_acknowledged",
                subject=f"You acknowledged contract {contract.number}",
                template="contracts/email/contract_acknowledged",
                context={"acceptance": acceptance},
                dedupe_key=f"contract:{contract.pk}:v{document.version}:acknowledged",
            )
            return acceptance
    raise refusal


# --- amendment, renewal, cancellation ------------------------------------------------------


@transaction.atomic
def contract_amend(*, contract: Contract, actor: User, reason: str) -> Contract:
    """A changed contract: a new document version (current template and details), delivered
    again and needing a new acknowledgement. The earlier versions stay as they were."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Say what changed.", field="reason")
    contract = _locked(contract)
    if contract.state not in IN_FORCE_STATES:
        raise Conflict(
            f"A contract that is {contract.get_state_display().lower()} cannot be amended."
        )
    states = _move(contract, S.ISSUED)
    contract.document_version_wanted += 1
    contract.save(update_fields=["state", "document_version_wanted", "updated_at"])
    audit_record(
        action="contract.amended",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"state": states, "version": contract.document_version_wanted},
        message=reason[:500],
    )
    _enqueue_generation(contract)
    return contract


def _subscription_renewable(subscription: Subscription) -> bool:
    return subscription.status in LIVE_STATUSES and not subscription.cancel_at_period_end


@transaction.atomic
def contract_renew(*, contract: Contract, actor: User | None) -> Contract:
    """Create the next term's contract (a new number and document) and mark this one renewed.

    The next term starts when this one ends. Idempotent: the next term's contract, once it
    exists, is returned. Refused when the subscription is ending.
    """
    contract = _locked(contract)
    following = Contract.objects.filter(
        subscription_id=contract.subscription_id, term_index=contract.term_index + 1
    ).first()
    if following is not None:
        return following
    if not contract.can_move_to(S.RENEWED):
        raise Conflict(
            f"A contract that is {contract.get_state_display().lower()} cannot be renewed."
        )
    subscription = Subscription.objects.select_related("customer", "plan__product").get(
        pk=contract.subscription_id
    )
    if not _subscription_renewable(subscription):
        raise Conflict("The subscription is ending, so the contract cannot be renewed.")
    following = _contract_draft(
        subscription=subscription,
        term_index=contract.term_index + 1,
        term_start=contract.term_end,
        previous=contract,
    )
    if following is None:
        return Contract.objects.get(
            subscription_id=contract.subscription_id, term_index=contract.term_index + 1
        )
    states = _move(contract, S.RENEWED)
    contract.save(update_fields=["state", "updated_at"])
    _issue(following, actor=actor)
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
    return following


def _subscription_stop_at_period_end(*, subscription: Subscription, actor: User | None) -> bool:
    """Stop billing at the end of the paid period.

    Billing owns Subscription and has no service for this yet (onboarding/billing/services.py
    was checked), so this one small, audited update is made here. Replace it with billing's
    service once it has one.
    """
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.status not in LIVE_STATUSES or locked.cancel_at_period_end:
        return False
    locked.cancel_at_period_end = True
    locked.save(update_fields=["cancel_at_period_end"])
    audit_record(
        action="subscription.cancel_at_period_end",
        actor=actor,
        target=locked,
        customer_id=locked.customer_id,
        changes={"cancel_at_period_end": [False, True]},
        message="billing stops at the end of the paid period (contract cancelled)",
    )
    return True


@transaction.atomic
def contract_cancel(*, contract: Contract, actor: User, reason: str = "") -> Contract:
    """Cancel the contract; the subscription stops billing at the end of the period already
    paid, and the service runs until then."""
    contract = _locked(contract)
    if actor.role == Role.CUSTOMER and actor.pk != contract.customer_id:
        raise NotFound("No such contract.")
    states = _move(contract, S.CANCELLED)
    subscription = contract.subscription
    billing_stopped = _subscription_stop_at_period_end(subscription=subscription, actor=actor)
    now = timezone.now()
    contract.cancelled_at = now
    contract.service_ends_at = contract.service_end_if_cancelled(now=now)
    contract.save(update_fields=["state", "cancelled_at", "service_ends_at", "updated_at"])
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
        message=" ".join((reason or "").split())[:500],
    )
    _notify_customer(
        contract,
        kind="contract_cancelled",
        subject=f"Your support contract {contract.number} is cancelled",
        template="contracts/email/contract_cancelled",
        context={},
        dedupe_key=f"contract:{contract.pk}:cancelled",
    )
    return contract


# --- expiry: reminders and the end of a term -----------------------------------------------


def _reminder_offsets() -> list[int]:
    return sorted({int(days) for days in settings.CONTRACT_EXPIRY_REMINDER_DAYS if int(days) > 0})


def _will_renew(contract: Contract) -> bool:
    return settings.CONTRACT_AUTO_RENEW and _subscription_renewable(contract.subscription)


def contract_expiry_remind(*, contract: Contract, days_before: int) -> bool:
    """Send the `days_before` reminder for `contract` (customer + every SysOps user, in-app),
    once: a unique ContractReminder row and per-recipient dedupe keys. True if sent now."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                ContractReminder.objects.create(contract=contract, days_before=days_before)
        except IntegrityError:
            return False  # sent already, by this scheduler run or another
        contract = Contract.objects.select_related("customer__user", "subscription").get(
            pk=contract.pk
        )
        context = {
            "contract": contract,
            "days_before": days_before,
            "will_renew": _will_renew(contract),
            "site_url": settings.SITE_URL,
        }
        _notify_customer(
            contract,
            kind="contract_expiry_reminder",
            subject=f"Your support contract {contract.number} ends on {contract.term_end:%d %B %Y}",
            template="contracts/email/expiry_reminder",
            context=context,
            dedupe_key=f"contract:{contract.pk}:expiry:{days_before}:customer",
        )
        sysops = _sysops()
        for person in sysops:
            notification_send(
                recipient=person,
                kind="contract_expiry_reminder_sysops",
                subject=(
                    f"Contract {contract.number} ({contract.customer.display_name}) "
                    f"ends in {days_before} days"
                ),
                template="contracts/email/expiry_reminder_sysops",
                context={**context, "user": person},
                dedupe_key=f"contract:{contract.pk}:expiry:{days_before}:sysops:{person.pk}",
                channels=[Channel.IN_APP],
            )
        audit_record(
            action="contract.expiry_reminder_sent",
            target=contract,
            customer_id=contract.customer_id,
            changes={"days_before": days_before, "sysops": [p.pk for p in sysops]},
            message="Log notification: expiry reminder to the customer and SysOps",
        )
    return True


def _transition(contract: Contract, state: str, *, action: str) -> bool:
    """Move one contract in its own transaction if it still may (another run may have)."""
    with transaction.atomic():
        locked = _locked(contract)
        if not locked.can_move_to(state):
            return False
        states = _move(locked, state)
        locked.save(update_fields=["state", "updated_at"])
        audit_record(
            action=action, target=locked, customer_id=locked.customer_id, changes={"state": states}
        )
        if state == S.ACTIVE:
            _publish_activated(locked)
    return True


def _publish_activated(contract: Contract) -> None:
    """Tell other contexts (acceptance starts waiting for the support requirements)."""
    outbox_publish(
        topic=CONTRACT_ACTIVATED_TOPIC,
        payload={"contract_id": contract.pk, "customer_id": contract.customer_id},
        dedupe_key=f"contract:{contract.pk}:activated",
    )


@dataclass
class LifecycleReport:
    cancelled: int = 0
    activated: int = 0
    expiring: int = 0
    reminded: int = 0
    renewed: int = 0
    expired: int = 0
    failed: list[int] = field(default_factory=list)


def _each(report: LifecycleReport, contracts, step) -> int:
    """Run `step` per contract, each on its own: one failure is reported, not contagious."""
    done = 0
    for contract in contracts:
        try:
            done += int(bool(step(contract)))
        except Exception as error:
            report.failed.append(contract.pk)
            report_failure(
                reason="contract_lifecycle_failed",
                user_message=f"The lifecycle step for contract {contract.number} failed",
                error=error,
                target=contract,
                customer_id=contract.customer_id,
            )
    return done


def _follow_ended_subscription(contract: Contract) -> bool:
    """Billing cancelled the subscription (e.g. at the end of a period the customer chose to
    stop at): the contract ends with it rather than run on unpaid."""
    with transaction.atomic():
        locked = _locked(contract)
        if locked.subscription.status != SubscriptionStatus.CANCELLED:
            return False
        if not locked.can_move_to(S.CANCELLED):
            return False
        states = _move(locked, S.CANCELLED)
        now = timezone.now()
        locked.cancelled_at = now
        locked.service_ends_at = locked.subscription.cancelled_at or now
        locked.save(update_fields=["state", "cancelled_at", "service_ends_at", "updated_at"])
        audit_record(
            action="contract.cancelled",
            target=locked,
            customer_id=locked.customer_id,
            changes={"state": states, "service_ends_at": locked.service_ends_at},
            message="the subscription was cancelled",
        )
    return True


def _renew_at_end(contract: Contract) -> bool:
    return contract_renew(contract=contract, actor=None) is not None


def contracts_lifecycle_advance(*, now: datetime | None = None) -> LifecycleReport:
    """The periodic pass: end contracts whose subscription billing cancelled, activate started
    terms, mark terms expiring, send due reminders, renew or expire ended terms. Safe to run
    twice, or in two workers at once."""
    now = now or timezone.now()
    report = LifecycleReport()
    offsets = _reminder_offsets()
    window = timedelta(days=max(offsets, default=0))
    base = Contract.objects.select_related("customer", "subscription").order_by("term_end", "pk")

    report.cancelled = _each(
        report,
        base.filter(
            state__in=(S.DRAFT, S.ISSUED, *IN_FORCE_STATES),
            subscription__status=SubscriptionStatus.CANCELLED,
        ),
        _follow_ended_subscription,
    )
    report.activated = _each(
        report,
        base.filter(state=S.ACKNOWLEDGED, term_start__lte=now),
        lambda c: _transition(c, S.ACTIVE, action="contract.activated"),
    )
    report.expiring = _each(
        report,
        base.filter(
            state__in=(S.SENT, S.ACKNOWLEDGED, S.ACTIVE),
            term_end__gt=now,
            term_end__lte=now + window,
        ),
        lambda c: _transition(c, S.EXPIRING, action="contract.expiring"),
    )
    for contract in base.filter(
        state__in=IN_FORCE_STATES, term_end__gt=now, term_end__lte=now + window
    ):
        remaining = contract.term_end - now
        due = [days for days in offsets if remaining <= timedelta(days=days)]
        if due:
            # Only the nearest offset: a contract found late gets one reminder, not a burst.
            nearest = min(due)
            report.reminded += _each(
                report,
                [contract],
                lambda c, days=nearest: contract_expiry_remind(contract=c, days_before=days),
            )
    ended = list(base.filter(state__in=IN_FORCE_STATES, term_end__lte=now))
    renewing = [c for c in ended if _will_renew(c)]
    report.renewed = _each(report, renewing, _renew_at_end)
    report.expired = _each(
        report,
        [c for c in ended if c not in renewing],
        lambda c: _transition(c, S.EXPIRED, action="contract.expired"),
    )
    return report


# --- templates -----------------------------------------------------------------------------


@transaction.atomic
def contract_template_publish(*, html: str, css: str, note: str, actor: User) -> ContractTemplate:
    """Publish a new template version (a restyle). It must compile and render a sample contract
    to PDF first, so a broken layout never reaches a customer's document."""
    if actor is None or not actor.has_role(Role.ADMIN):
        raise DomainError("Only an admin can publish a contract template.", code="forbidden")
    if not (html or "").strip():
        raise DomainError("The template is empty.", field="html")
    try:
        compiled = compile_template(html)
        pdf_from_html(
            html=compiled.render(Context(sample_context(), autoescape=True)), css=css or ""
        )
    except TemplateSyntaxError as error:
        raise DomainError(f"The template does not compile: {error}", field="html") from error
    except Exception as error:
        raise DomainError(
            f"The template does not render: {error.__class__.__name__}: {error}", field="html"
        ) from error
    latest = ContractTemplate.objects.select_for_update().order_by("-version").first()
    template = ContractTemplate.objects.create(
        version=(latest.version if latest else 0) + 1,
        html=html,
        css=css or "",
        note=mask_card_numbers(" ".join((note or "").split()))[:200],
        created_by=actor,
    )
    audit_record(
        action="contract.template_published",
        actor=actor,
        target=template,
        changes={"version": template.version},
        message=template.note,
    )
    return template


__all__ = [
    "ContractIncomplete",
    "add_months",
    "contract_acknowledge",
    "contract_amend",
    "contract_cancel",
    "contract_deliver",
    "contract_document_generate",
    "contract_email_send",
    "contract_expiry_remind",
    "contract_generation_retry",
    "contract_incomplete_report",
    "contract_issue_for_subscription",
    "contract_issue_schedule",
    "contract_number_take",
    "contract_renew",
    "contract_template_current",
    "contract_template_publish",
    "contracts_issue_missing",
    "contracts_lifecycle_advance",
]
