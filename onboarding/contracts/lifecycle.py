"""A contract after it is issued: amended, renewed, cancelled, reminded of its end, and the
periodic pass that activates, marks expiring, renews or expires contracts as time goes by.

Every step locks the contract and checks it may still move, so a pass run twice, or in two
workers at once, does nothing twice. Billing owns the subscription: a cancelled contract asks
billing to stop at the end of the paid period (billing.subscriptions), and a subscription billing
cancelled ends its contract here.

An unexpected failure of an action a person takes (amend, renew, cancel) is reported at the
service's boundary (alerts.failures.failure_reported); the periodic pass reports each contract's
failure itself and carries on with the next.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import User
from onboarding.alerts.failures import failure_reported, report_failure
from onboarding.billing.models import LIVE_STATUSES, Subscription, SubscriptionStatus
from onboarding.billing.subscriptions import subscription_stop_at_period_end

# documents.py and issuing.py are in the loop with tasks.py (which imports this module):
# imported whole, so any of them may be imported first.
from onboarding.contracts import documents, events, issuing
from onboarding.contracts.delivery import contract_notice_send
from onboarding.contracts.models import (
    AMENDABLE_STATES,
    IN_FORCE_STATES,
    Contract,
    ContractReminder,
    ContractState,
)
from onboarding.contracts.transitions import (
    ACTION_FAILED,
    contract_activated_publish,
    contract_locked,
    contract_move,
)
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError, NotFound
from onboarding.core.roles import Role
from onboarding.notifications.models import Channel
from onboarding.notifications.services import notification_send

S = ContractState


# A date written when the subject is, in the customer's language and the named format.
lazy_date = lazy(date_format, str)


def _subscription_renewable(subscription: Subscription) -> bool:
    return subscription.status in LIVE_STATUSES and not subscription.cancel_at_period_end


# --- amendment, renewal, cancellation ------------------------------------------------------


@failure_reported(ACTION_FAILED, target="contract")
@transaction.atomic
def contract_amend(*, contract: Contract, actor: User, reason: str) -> Contract:
    """A changed contract: a new document version (current template and details), delivered
    again and needing a new acknowledgement. The earlier versions stay as they were."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(gettext("Say what changed."), field="reason")
    contract = contract_locked(contract=contract)
    if contract.state not in AMENDABLE_STATES:
        raise Conflict(
            gettext("A contract that is %(state)s cannot be amended.")
            % {"state": contract.get_state_display().lower()}
        )
    if contract.state == S.ISSUED:
        # Its latest version is still being made or delivered: the next one supersedes it
        # (only the newest version is delivered and acknowledged).
        states = [S.ISSUED, S.ISSUED]
    else:
        states = contract_move(contract=contract, state=S.ISSUED)
    contract.document_version_wanted += 1
    contract.save(update_fields=["state", "document_version_wanted", "updated_at"])
    events.contract_amended(actor=actor, contract=contract, states=states, reason=reason)
    documents.document_generation_enqueue(contract=contract)
    return contract


@failure_reported(ACTION_FAILED, target="contract")
def contract_renew(*, contract: Contract, actor: User) -> Contract:
    """Staff renew the contract now: the next term's contract, issued (see _next_term_issue)."""
    return _next_term_issue(contract=contract, actor=actor)


@transaction.atomic
def _next_term_issue(*, contract: Contract, actor: User | None) -> Contract:
    """Create the next term's contract (a new number and document) and mark this one renewed.

    The next term starts when this one ends. Idempotent: the next term's contract, once it
    exists, is returned. Refused when the subscription is ending. The periodic pass calls it
    directly, as it reports each contract's failure itself (_each).
    """
    contract = contract_locked(contract=contract)
    following = Contract.objects.filter(
        subscription_id=contract.subscription_id, term_index=contract.term_index + 1
    ).first()
    if following is not None:
        return following
    if not contract.can_move_to(S.RENEWED):
        raise Conflict(
            gettext("A contract that is %(state)s cannot be renewed.")
            % {"state": contract.get_state_display().lower()}
        )

    subscription = Subscription.objects.select_related("customer", "plan__product").get(
        pk=contract.subscription_id
    )
    if not _subscription_renewable(subscription):
        raise Conflict(gettext("The subscription is ending, so the contract cannot be renewed."))
    following = issuing.contract_draft_create(
        subscription=subscription,
        term_index=contract.term_index + 1,
        term_start=contract.term_end,
        previous=contract,
    )
    if following is None:
        return Contract.objects.get(
            subscription_id=contract.subscription_id, term_index=contract.term_index + 1
        )
    states = contract_move(contract=contract, state=S.RENEWED)
    contract.save(update_fields=["state", "updated_at"])
    issuing.contract_issue(contract=following, actor=actor)
    events.contract_renewed(actor=actor, contract=contract, states=states, following=following)
    return following


@failure_reported(ACTION_FAILED, target="contract")
@transaction.atomic
def contract_cancel(*, contract: Contract, actor: User, reason: str = "") -> Contract:
    """Cancel the contract; the subscription stops billing at the end of the period already
    paid, and the service runs until then."""
    contract = contract_locked(contract=contract)
    if actor.role == Role.CUSTOMER and actor.pk != contract.customer_id:
        raise NotFound(gettext("No such contract."))
    states = contract_move(contract=contract, state=S.CANCELLED)
    billing_stopped = subscription_stop_at_period_end(
        subscription=contract.subscription, actor=actor, because="contract cancelled"
    )
    now = clock.now()
    contract.cancelled_at = now
    contract.service_ends_at = contract.service_end_if_cancelled(now=now)
    contract.save(update_fields=["state", "cancelled_at", "service_ends_at", "updated_at"])
    events.contract_cancelled(
        actor=actor,
        contract=contract,
        states=states,
        billing_stopped=billing_stopped,
        reason=" ".join((reason or "").split()),
    )
    contract_notice_send(
        contract=contract,
        kind="contract_cancelled",
        subject=format_lazy(
            gettext_lazy("Your support contract {number} is cancelled"), number=contract.number
        ),
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


def _sysops() -> list[User]:
    return list(User.objects.filter(role=Role.SYSOPS, is_active=True).order_by("pk"))


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
        contract_notice_send(
            contract=contract,
            kind="contract_expiry_reminder",
            subject=format_lazy(
                gettext_lazy("Your support contract {number} ends on {date}"),
                number=contract.number,
                date=lazy_date(contract.term_end),
            ),
            template="contracts/email/expiry_reminder",
            context=context,
            dedupe_key=f"contract:{contract.pk}:expiry:{days_before}:customer",
        )
        sysops = _sysops()
        for person in sysops:
            notification_send(
                recipient=person,
                kind="contract_expiry_reminder_sysops",
                subject=format_lazy(
                    gettext_lazy("Contract {number} ({name}) ends in {days} days"),
                    number=contract.number,
                    name=contract.customer.display_name,
                    days=days_before,
                ),
                template="contracts/email/expiry_reminder_sysops",
                context={**context, "user": person},
                dedupe_key=f"contract:{contract.pk}:expiry:{days_before}:sysops:{person.pk}",
                channels=[Channel.IN_APP],
            )
        events.expiry_reminder_sent(contract=contract, days_before=days_before, sysops=sysops)
    return True


# --- the periodic pass ---------------------------------------------------------------------


def _transition(contract: Contract, state: str) -> bool:
    """Move one contract in its own transaction if it still may (another run may have)."""
    with transaction.atomic():
        locked = contract_locked(contract=contract)
        if not locked.can_move_to(state):
            return False
        states = contract_move(contract=locked, state=state)
        locked.save(update_fields=["state", "updated_at"])
        events.contract_moved_by_schedule(contract=locked, states=states)
        if state == S.ACTIVE:
            contract_activated_publish(contract=locked)
    return True


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
        locked = contract_locked(contract=contract)
        if locked.subscription.status != SubscriptionStatus.CANCELLED:
            return False
        if not locked.can_move_to(S.CANCELLED):
            return False
        states = contract_move(contract=locked, state=S.CANCELLED)
        now = clock.now()
        locked.cancelled_at = now
        locked.service_ends_at = locked.subscription.cancelled_at or now
        locked.save(update_fields=["state", "cancelled_at", "service_ends_at", "updated_at"])
        events.contract_cancelled_with_subscription(contract=locked, states=states)
    return True


def _renew_at_end(contract: Contract) -> bool:
    return _next_term_issue(contract=contract, actor=None) is not None


def contracts_lifecycle_advance(*, now: datetime | None = None) -> LifecycleReport:
    """The periodic pass: end contracts whose subscription billing cancelled, activate started
    terms, mark terms expiring, send due reminders, renew or expire ended terms. Safe to run
    twice, or in two workers at once."""
    now = now or clock.now()
    report = LifecycleReport()
    offsets = _reminder_offsets()
    window = timedelta(days=max(offsets, default=0))
    base = (
        Contract.objects.select_related("customer", "subscription")
        .filter(clock.customer_scope("customer"))
        .order_by("term_end", "pk")
    )

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
        lambda c: _transition(c, S.ACTIVE),
    )
    report.expiring = _each(
        report,
        base.filter(
            state__in=(S.SENT, S.ACKNOWLEDGED, S.ACTIVE),
            term_end__gt=now,
            term_end__lte=now + window,
        ),
        lambda c: _transition(c, S.EXPIRING),
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
        lambda c: _transition(c, S.EXPIRED),
    )
    return report
