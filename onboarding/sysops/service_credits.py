"""Service credits for SLA breaches: proposed when a request's clock is breached, decided by a
manager.

- **Proposed** by the consumer of sla.clock_breached (sla_alerts.py), in the relay's delivery
  transaction: the plan's credit terms for the clock's severity (sla.selectors) give a percent
  of one billing period's net price; the credit also gives back the tax the invoice charged on
  it (at the invoice's rate), and the credits proposed or approved against one invoice stay
  within the plan's cap and what is left to credit on it. One proposal per clock (a unique
  key), so a message delivered twice proposes once. Managers are told, with a link.
- **Approved** by a manager or an admin: the credit is issued through billing's refund service
  (`billing.services.invoice_refund`: a numbered credit note on the latest paid invoice and the
  money back to the card). Billing has no customer credit balance carried to the next invoice,
  so a refund on the invoice already paid is the one way to give the credit now.
- **Approved, then cancelled by billing**: the provider gave no answer, the approval stood on
  the draft credit note, and billing's re-send was refused and cancelled it. Nothing was paid
  out: the proposal reads its credit note (credit_models.ServiceCredit.refund_cancelled) and a
  manager approves it again (a new credit note) or declines it.
- **Declined** with a reason. Every decision is audited; a credit that cannot be issued is
  marked failed with the reason (nothing paid out), an admin is alerted, and the manager sees it.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import User
from onboarding.alerts.failures import FailureNotice, failure_reported, in_english
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_for
from onboarding.billing.models import (
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
    Subscription,
)
from onboarding.billing.services import invoice_refund
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.money import Money
from onboarding.core.roles import Role
from onboarding.notifications.services import notification_send
from onboarding.sla.models import ClockKind, SlaClock
from onboarding.sla.selectors import CreditTerms, sla_credit_terms_for
from onboarding.sysops import events
from onboarding.sysops.credit_models import (
    CAPPED_STATUSES,
    DECIDERS,
    PENDING_STATUSES,
    ServiceCredit,
    ServiceCreditStatus,
)
from onboarding.sysops.models import ServiceRequest

logger = logging.getLogger(__name__)

SERVICE_CREDIT_TEMPLATE = "sysops/email/service_credit"
DECISION_FAILED = FailureNotice(
    "service_credit_decision_failed",
    gettext_lazy(
        "The decision could not be saved because of a problem on our side; the team has been told. "
        "Nothing was paid out unless the proposal shows a credit note."
    ),
)
# An approval sending its refund holds the proposal this long; a second click waits.
APPROVING_HOLD = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class CreditQuote:
    """What a breach earns on a subscription: `percent` of `base` (one period's net price),
    as `amount` (gross, the credit note's total) on `invoice` (None: nothing paid yet)."""

    percent: int
    base: Money
    amount: Money
    invoice: Invoice | None


def _ceil_percent(amount_minor: int, percent: int) -> int:
    """percent of an amount, rounded up to the minor unit (a credit favours the customer)."""
    return -(-amount_minor * percent // 100)


def latest_paid_invoice(*, subscription_id: int, lock: bool = False) -> Invoice | None:
    """The subscription's latest paid invoice: the one a service credit is given back on."""
    invoices = Invoice.objects.filter(
        subscription_id=subscription_id, status=InvoiceStatus.PAID, paid_attempt__isnull=False
    ).order_by("-period_start", "-id")
    if lock:
        invoices = invoices.select_for_update()
    return invoices.first()


def credit_quote(
    *,
    subscription: Subscription,
    terms: CreditTerms,
    invoice: Invoice | None,
    exclude_id: int | None = None,
) -> CreditQuote:
    """The credit one breached clock earns under `terms`, within the plan's cap on `invoice`.

    net = percent x the period's net price (unit price x quantity), rounded up; gross = net plus
    tax at the invoice's rate, rounded half up; at most cap% of the invoice's total less the
    credits already proposed or approved against it, and at most what is left to credit."""
    base = subscription.price
    net = Money(_ceil_percent(base.amount_minor, terms.percent), base.currency)
    if invoice is None:
        return CreditQuote(terms.percent, base, net, None)
    gross = net + net.percentage(invoice.tax_rate_bp)
    used = (
        ServiceCredit.objects.filter(invoice=invoice, status__in=CAPPED_STATUSES)
        .exclude(pk=exclude_id)
        .aggregate(total=Sum("amount_minor"))["total"]
        or 0
    )
    room = min(
        invoice.total_minor * terms.cap_percent // 100 - used,
        invoice.total_minor - invoice.credited_minor,
    )
    amount = Money(max(0, min(gross.amount_minor, room)), invoice.currency)
    return CreditQuote(terms.percent, base, amount, invoice)


# --- Proposed on a breach -------------------------------------------------------------------------


def _managers() -> list[User]:
    return list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))


def _tell_managers(credit: ServiceCredit) -> None:
    url = settings.SITE_URL + reverse("sysops:service_credit", args=[credit.pk])
    for manager in _managers():
        notification_send(
            recipient=manager,
            kind="service_credit.proposed",
            subject=format_lazy(
                gettext_lazy("{reference}: service credit of {amount} to approve"),
                reference=credit.request.reference,
                amount=credit.amount,
            ),
            template=SERVICE_CREDIT_TEMPLATE,
            context={"credit": credit, "recipient": manager, "url": url},
            dedupe_key=f"service-credit:{credit.pk}:proposed:{manager.pk}",
        )


def service_credit_propose(*, clock_id: int, request: ServiceRequest) -> ServiceCredit | None:
    """Draft the service credit a breached request clock earns (once per clock) and tell the
    managers. None when the plan's terms give nothing, or its cap on the invoice is used up.

    Runs in the caller's transaction (the relay's delivery of sla.clock_breached)."""
    existing = ServiceCredit.objects.filter(clock_id=clock_id).first()
    if existing is not None:
        return existing
    sla_clock = SlaClock.objects.get(pk=clock_id)
    subscription = request.subscription
    terms = sla_credit_terms_for(plan_id=subscription.plan_id, severity=sla_clock.severity)
    if terms is None:
        return None
    # Locked, so two breaches of one subscription handled at once share the cap in turn.
    invoice = latest_paid_invoice(subscription_id=subscription.pk, lock=True)
    quote = credit_quote(subscription=subscription, terms=terms, invoice=invoice)
    if quote.amount.amount_minor <= 0:
        logger.info(
            "SLA breach earns no service credit: the plan's cap on the invoice is used up",
            extra={"request_id": request.pk, "clock_id": clock_id},
        )
        return None
    try:
        with transaction.atomic():
            credit = ServiceCredit.objects.create(
                customer_id=request.customer_id,
                subscription=subscription,
                request=request,
                clock=sla_clock,
                percent=quote.percent,
                base_minor=quote.base.amount_minor,
                amount_minor=quote.amount.amount_minor,
                currency=quote.amount.currency,
                invoice=invoice,
                created_at=clock.now(),
            )
    except IntegrityError:  # another delivery proposed it first
        return ServiceCredit.objects.get(clock_id=clock_id)
    events.service_credit_proposed(credit=credit)
    _tell_managers(credit)
    return credit


# --- Decided by a manager -------------------------------------------------------------------------


def _check_decider(actor: User) -> None:
    if getattr(actor, "role", None) not in DECIDERS or not actor.is_active:
        raise Forbidden(gettext("Only a manager or an admin can decide a service credit."))


def _pending(credit_id: int) -> ServiceCredit:
    """The proposal, locked, still waiting for a decision and not being approved right now."""
    credit = (
        ServiceCredit.objects.select_for_update(of=("self",))
        .select_related("request", "clock", "invoice", "subscription", "credit_note")
        .get(pk=credit_id)
    )
    # An approval whose credit note billing cancelled paid nothing out: decided again.
    if credit.status not in PENDING_STATUSES and not credit.refund_cancelled:
        raise Conflict(
            gettext("This service credit is {status} already.").format(
                status=credit.get_status_display().lower()
            )
        )
    if credit.approving_since is not None and credit.approving_since > clock.now() - APPROVING_HOLD:
        raise Conflict(
            gettext("This service credit is being approved right now; wait for the answer.")
        )
    return credit


def credit_note_reason(credit: ServiceCredit) -> str:
    """What the credit note says; it begins with the proposal's reference, which finds it."""
    kind = ClockKind(credit.clock.kind).label.lower()
    return f"Service credit {credit.reference}: {credit.request.reference} {kind} deadline missed"


def _credit_note_of(credit: ServiceCredit) -> CreditNote | None:
    """The credit note an earlier approval of this proposal made (sent, or still being
    confirmed), so an approval repeated after a crash never pays twice."""
    return (
        CreditNote.objects.filter(
            invoice_id=credit.invoice_id,
            reason__startswith=f"Service credit {credit.reference}:",
            status__in=[CreditNoteStatus.DRAFT, CreditNoteStatus.ISSUED],
        )
        .order_by("-id")
        .first()
    )


def _requote(*, credit: ServiceCredit, invoice: Invoice, actor: User) -> Money:
    """A proposal made before any invoice was paid, priced now on the latest paid one (tax and
    cap included); saved when something is left to credit. Returns the new amount."""
    terms = sla_credit_terms_for(
        plan_id=credit.subscription.plan_id, severity=credit.clock.severity
    ) or CreditTerms(percent=credit.percent, cap_percent=100)
    quote = credit_quote(
        subscription=credit.subscription, terms=terms, invoice=invoice, exclude_id=credit.pk
    )
    if quote.amount.amount_minor > 0:
        credit.invoice, credit.amount_minor = invoice, quote.amount.amount_minor
        credit.currency = quote.amount.currency
        credit.save(update_fields=["invoice", "amount_minor", "currency"])
        events.service_credit_requoted(actor=actor, credit=credit)
    return quote.amount


def _claim(*, credit: ServiceCredit, actor: User) -> ServiceCredit:
    """Hold the proposal for this approval (committed), after checking it can be issued."""
    requoted = None
    with transaction.atomic():
        locked = _pending(credit.pk)
        if locked.invoice_id is None:
            invoice = latest_paid_invoice(subscription_id=locked.subscription_id, lock=True)
            if invoice is None:
                raise Conflict(
                    gettext(
                        "This credit cannot be issued yet: the subscription has no paid invoice "
                        "to credit. Approve it once an invoice is paid, or decline it."
                    )
                )
            requoted = _requote(credit=locked, invoice=invoice, actor=actor)
        else:
            locked.approving_since = clock.now()
            locked.save(update_fields=["approving_since"])
    if requoted is None:
        return locked
    if requoted.amount_minor <= 0:
        # The proposal keeps the reason in English (stored data); the manager reads it in
        # their console language.
        message = "Nothing is left to credit: the plan's cap on the paid invoice is used up."
        _failed(credit=locked, actor=actor, message=message)
        raise DomainError(
            gettext(
                "The service credit was not issued. Nothing is left to credit: the plan's cap "
                "on the paid invoice is used up."
            )
        )
    raise Conflict(
        gettext(
            "An invoice is paid now: the credit is {amount} on invoice {number}. Check the "
            "amount and approve again."
        ).format(amount=requoted, number=locked.invoice.number)
    )


def _release(credit: ServiceCredit) -> None:
    ServiceCredit.objects.filter(pk=credit.pk).update(approving_since=None)


def _failure_answered(credit: ServiceCredit, *, because: str) -> None:
    """An earlier failure to issue this credit is answered: its admin alert closes."""
    admin_alerts_resolve_for(
        success="service_credit_decided",
        customer_id=credit.customer_id,
        target=credit,
        because=f"Service credit {credit.reference} {because}.",
    )


def _approved(*, credit: ServiceCredit, actor: User, credit_note: CreditNote) -> ServiceCredit:
    with transaction.atomic():
        locked = ServiceCredit.objects.select_for_update().get(pk=credit.pk)
        locked.move_to(ServiceCreditStatus.APPROVED)
        locked.decided_by, locked.decided_at = actor, clock.now()
        locked.credit_note, locked.approving_since, locked.failure_reason = credit_note, None, ""
        locked.save()
        events.service_credit_approved(actor=actor, credit=locked, credit_note=credit_note)
        _failure_answered(locked, because=f"approved by {actor.email}")
    return locked


def _failed(*, credit: ServiceCredit, actor: User, message: str) -> ServiceCredit:
    """Nothing was paid out: the proposal says why, for a manager to approve again or decline;
    an admin is alerted."""
    with transaction.atomic():
        locked = ServiceCredit.objects.select_for_update().get(pk=credit.pk)
        locked.move_to(ServiceCreditStatus.FAILED)
        locked.decided_by, locked.decided_at = actor, clock.now()
        locked.failure_reason, locked.approving_since = message[:500], None
        locked.save()
        events.service_credit_failed(actor=actor, credit=locked, message=message)
        admin_alert_raise(
            reason="service_credit_failed",
            message=f"Service credit {locked.reference} of {locked.amount} approved by "
            f"{actor.email} could not be issued: {message}",
            target=locked,
            customer_id=locked.customer_id,
        )
    return locked


def _issue(*, credit: ServiceCredit, actor: User) -> ServiceCredit:
    """Send the refund through billing (outside any transaction: payments commits its own
    record first) and record the outcome on the proposal."""
    earlier = _credit_note_of(credit)
    if earlier is not None:
        return _approved(credit=credit, actor=actor, credit_note=earlier)
    try:
        credit_note = invoice_refund(
            invoice=credit.invoice,
            actor=actor,
            amount=credit.amount,
            reason=credit_note_reason(credit),
        )
    except DomainError as refused:
        pending = _credit_note_of(credit)
        if pending is not None:
            # No answer from the provider: billing keeps the draft and sends it again with its
            # key; the approval stands and the credit note is shown as being confirmed.
            return _approved(credit=credit, actor=actor, credit_note=pending)
        # The proposal, the alert and the audit log record English; the manager reads their own.
        _failed(credit=credit, actor=actor, message=in_english(refused.message))
        raise DomainError(
            gettext(
                "The service credit was not issued: {reason} Nothing was paid out; an admin "
                "has been told."
            ).format(reason=refused.message)
        ) from refused
    return _approved(credit=credit, actor=actor, credit_note=credit_note)


@failure_reported(DECISION_FAILED, target="credit")
def service_credit_approve(*, credit: ServiceCredit, actor: User) -> ServiceCredit:
    """A manager approves: the credit is issued as a credit note on the invoice (a refund to
    the card). Refused (no paid invoice yet, decided already, being approved): nothing changes.
    The provider refusing, or nothing left to credit: the proposal fails with the reason."""
    _check_decider(actor)
    claimed = _claim(credit=credit, actor=actor)
    try:
        return _issue(credit=claimed, actor=actor)
    except Exception:
        _release(claimed)
        raise


@failure_reported(DECISION_FAILED, target="credit")
def service_credit_decline(*, credit: ServiceCredit, actor: User, reason: str) -> ServiceCredit:
    """A manager declines the proposal, saying why; nothing is credited."""
    _check_decider(actor)
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise DomainError(gettext("Say why, in 3 to 500 characters."), field="reason")
    with transaction.atomic():
        locked = _pending(credit.pk)
        locked.move_to(ServiceCreditStatus.DECLINED)
        locked.decided_by, locked.decided_at = actor, clock.now()
        locked.decline_reason = reason
        locked.save()
        events.service_credit_declined(actor=actor, credit=locked)
        _failure_answered(locked, because=f"declined by {actor.email}")
    return locked
