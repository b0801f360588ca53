"""What every acceptance write shares, and what a change of status sets off.

Every write locks the contract row first (`contract_lock`), so the derived status and the
contract's one live review change in step even when two people rate at once. After each write
`status_settle` compares the derived status with the live review:

- green: acceptance is logged ("Log acceptance") and waits for a SysOps acknowledgement;
- yellow or red: every manager is notified, in-app and by email ("Log notification");
- either way a timer is set for the acknowledgement, and the review it waited for is closed
  (superseded) when the status moves on.

The actions live beside this module, one job per file: requirements.py (capturing, rating,
editing and removing requirements, the plans' standard ones, and seeding a contract when it
becomes active) and reviews.py (acknowledgements and the manager's actions).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.acceptance import events
from onboarding.acceptance.clocks import review_clock_start, review_clock_stop
from onboarding.acceptance.models import (
    AcceptanceStatus,
    Rating,
    Review,
    ReviewState,
    Timer,
    TimerKind,
    TimerState,
    capture_complete,
    status_of,
)
from onboarding.acceptance.selectors import contract_ratings, live_review_of
from onboarding.acceptance.timers import timer_schedule, timers_cancel
from onboarding.accounts.models import User
from onboarding.alerts.failures import FailureNotice
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing.dunning_holds import (
    acceptance_hold_reason,
    dunning_hold_lift,
    dunning_hold_place,
)
from onboarding.billing.states import HoldSource
from onboarding.contracts.models import FINAL_STATES, IN_FORCE_STATES, Contract, ContractState
from onboarding.core import clock
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, Forbidden, NotFound
from onboarding.core.roles import STAFF_ROLES, Role
from onboarding.notifications.models import Channel
from onboarding.notifications.services import notification_send

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
CLOSED_CONTRACT_STATES = (*FINAL_STATES, ContractState.EXPIRED)

# What a page or the API tells the user when an acceptance write fails on our side: each write
# that a door calls declares it at its boundary (alerts.failures.failure_reported).
SAVE_FAILED = FailureNotice(
    "acceptance_failed",
    gettext_lazy(
        "The change could not be saved because of a fault on our side. Nothing was changed; an "
        "admin has been told. Please try again in a few minutes."
    ),
)


# --- the checks every write makes ----------------------------------------------------------------


def clean_text(text: str | None, *, limit: int | None = None) -> str:
    """Free text as stored: no NUL bytes, no surrounding space, card numbers masked, cut to
    `limit`."""
    value = mask_card_numbers((text or "").replace("\x00", "").strip())
    return value[:limit] if limit else value


def in_english(text) -> str:
    """Text for a record (audit, holds, risk reasons): English whoever's request makes it."""
    with translation.override("en"):
        return str(text)


def contract_lock(*, contract_id: int) -> Contract:
    try:
        return Contract.objects.select_for_update().select_related("customer").get(pk=contract_id)
    except Contract.DoesNotExist:
        raise NotFound(gettext("No such contract.")) from None


def contract_require_writable(*, contract: Contract) -> None:
    if contract.state in CLOSED_CONTRACT_STATES:
        raise Conflict(
            gettext("Contract %(contract)s is %(state)s; its requirements can no longer change.")
            % {"contract": contract, "state": contract.get_state_display().lower()}
        )


def actor_require_staff(*, actor: User) -> None:
    if actor is None or actor.role not in STAFF_ROLES:
        raise Forbidden(gettext("Only SysOps, managers and admins work on acceptance."))


def actor_require_manager(*, actor: User) -> None:
    if actor is None or actor.role not in MANAGER_ROLES:
        raise Forbidden(gettext("Only a manager (or an admin) can take this action."))


def owner_check(*, owner: User | None) -> User | None:
    """The owner of a requirement or a remediation: none, or an active staff member."""
    if owner is not None and (owner.role not in STAFF_ROLES or not owner.is_active):
        raise Conflict(
            gettext("The owner must be an active SysOps user, manager or admin."), field="owner"
        )
    return owner


def ack_deadline_seconds(rating: str) -> int:
    return {
        Rating.GREEN: settings.ACCEPTANCE_GREEN_ACK_SECONDS,
        Rating.YELLOW: settings.ACCEPTANCE_YELLOW_ACK_SECONDS,
        Rating.RED: settings.ACCEPTANCE_RED_ACK_SECONDS,
    }[Rating(rating)]


# --- the status and its review -------------------------------------------------------------------


RATED_STATUSES = (AcceptanceStatus.GREEN, AcceptanceStatus.YELLOW, AcceptanceStatus.RED)


def status_settle(*, contract: Contract, actor: User | None) -> Review | None:
    """Bring the contract's live review and its "requirements unknown" wait in line with its
    ratings (contract locked)."""
    ratings = contract_ratings(contract=contract)
    _requirements_wait_settle(contract, ratings=ratings)
    status = status_of(ratings)
    _dunning_hold_settle(contract, status=status, actor=actor)
    live = live_review_of(contract=contract, lock=True)
    if status not in RATED_STATUSES:
        if live is not None:
            _supersede(live, actor=actor, status=status)
        return None
    if live is not None and live.rating == status:
        # Same status, same review: a red found during capture is not notified again when
        # capture completes, nor by a second red.
        return live
    if live is not None:
        _supersede(live, actor=actor, status=status)
    return _review_open(contract, rating=Rating(status.value), actor=actor, previous=live)


def _dunning_hold_settle(contract: Contract, *, status: str, actor: User | None) -> None:
    """While the contract is red, the customer's failed renewals wait for a manager instead of
    going past due (billing.dunning_holds); both calls are idempotent."""
    if status == AcceptanceStatus.RED:
        dunning_hold_place(
            customer_id=contract.customer_id,
            source=HoldSource.ACCEPTANCE,
            reference=contract.pk,
            reason=acceptance_hold_reason(contract=str(contract)),
            actor=actor,
        )
    else:
        dunning_hold_lift(
            customer_id=contract.customer_id,
            source=HoldSource.ACCEPTANCE,
            reference=contract.pk,
            # A record: English whatever language the rating member of staff reads.
            because=f"acceptance is now {in_english(AcceptanceStatus(status).label).lower()}",
            actor=actor,
        )


def _requirements_wait_settle(contract: Contract, *, ratings: list[str]) -> None:
    """Every requirement rated: the wait has what it waited for. Otherwise (none, or some
    unrated, also beside a red) it runs; one that ends while the contract is red raises
    nothing (timers.py), since the red review's own deadline is the alarm then."""
    if capture_complete(ratings):
        timers_cancel(
            contract=contract,
            kinds=[TimerKind.REQUIREMENTS_UNKNOWN],
            reason="requirements captured and rated",
        )
    elif contract.state in IN_FORCE_STATES:
        # Rated requirements removed or unrated again: the wait for them starts over.
        requirements_unknown_timer_start(contract=contract, again=True)


def requirements_unknown_timer_start(*, contract: Contract, again: bool = False) -> None:
    """Wait ACCEPTANCE_REQUIREMENTS_DUE_SECONDS from now for rated requirements, unless a wait is
    already pending (contract locked). `again`: only if activation started a wait before (a
    contract not yet activated waits for its activation). Each wait has a key of its own, so one
    that fired or was cancelled never blocks the next."""
    waits = Timer.objects.filter(contract=contract, kind=TimerKind.REQUIREMENTS_UNKNOWN)
    if waits.filter(state=TimerState.PENDING).exists():
        return
    previous = waits.count()
    if again and not previous:
        return
    suffix = f":{previous + 1}" if previous else ""
    timer_schedule(
        kind=TimerKind.REQUIREMENTS_UNKNOWN,
        key=f"{TimerKind.REQUIREMENTS_UNKNOWN}:contract:{contract.pk}{suffix}",
        contract=contract,
        due_at=clock.now() + timedelta(seconds=settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS),
    )


def _supersede(review: Review, *, actor: User | None, status: str) -> None:
    previous = review.state
    review.move_to(ReviewState.SUPERSEDED)
    review.save(update_fields=["state", "closed_at"])
    timers_cancel(review=review, reason=f"status became {status}")
    if status not in (AcceptanceStatus.YELLOW, AcceptanceStatus.RED):
        # Closed without a next action: nothing is left to act on. Between yellow and red the
        # next review carries the clock on (_review_open).
        review_clock_stop(review=review, actor=actor)
    events.review_superseded(actor=actor, review=review, previous=previous, status=status)


def _review_open(
    contract: Contract, *, rating: Rating, actor: User | None, previous: Review | None
) -> Review:
    now = clock.now()
    review = Review.objects.create(
        contract=contract,
        rating=rating,
        opened_at=now,
        ack_due_at=now + timedelta(seconds=ack_deadline_seconds(rating)),
    )
    kind = TimerKind.GREEN_ACK if rating == Rating.GREEN else TimerKind.MANAGER_ACK
    timer_schedule(
        kind=kind,
        key=f"{kind}:review:{review.pk}",
        contract=contract,
        review=review,
        due_at=review.ack_due_at,
    )
    if rating == Rating.GREEN:
        events.review_logged(actor=actor, contract=contract, review=review)
    else:
        review_clock_start(review=review, previous=previous, actor=actor)
        _notify_managers(review)
    return review


def _managers() -> list[User]:
    return list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))


def _notify_managers(review: Review) -> None:
    contract = review.contract
    managers = _managers()
    if not managers:
        # Nobody to tell is a failure an admin must fix; the timer still runs.
        admin_alert_raise(
            reason="acceptance_no_manager",
            message=f"Contract {contract} is {review.rating} but there is no active manager to "
            "notify.",
            target=contract,
            customer_id=contract.customer_id,
        )
        return
    # Lazy: written in each manager's console language inside notification_send.
    subject = format_lazy(
        gettext_lazy("{rating}: contract {contract} needs a manager"),
        rating=Rating(review.rating).label,
        contract=contract,
    )
    for manager in managers:
        notification_send(
            recipient=manager,
            kind="acceptance_escalation",
            subject=subject,
            template="acceptance/email/manager_escalation",
            context={
                "review": review,
                "contract": contract,
                "customer": contract.customer,
                "site_url": settings.SITE_URL,
            },
            dedupe_key=f"acceptance:review:{review.pk}:manager:{manager.pk}",
            channels=[Channel.IN_APP, Channel.EMAIL],
        )
    events.managers_notified(contract=contract, review=review, managers=managers)
