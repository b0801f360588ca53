"""Reviews: the acknowledgement of a contract's status and the manager's next action on a
yellow or red one (accept with conditions, request remediation, escalate, cancel the contract).

Each action moves the live review through its state machine (Review.move_to refuses illegal
moves), records who acted and when, and cancels the review's acknowledgement timer; an action
other than the acknowledgement is the next action, which stops the review's SLA clock. A failure of
ours in one is reported at its boundary, as SAVE_FAILED.
"""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.acceptance.clocks import review_clock_stop
from onboarding.acceptance.events import review_acted
from onboarding.acceptance.models import Rating, Review, ReviewState
from onboarding.acceptance.selectors import review_get
from onboarding.acceptance.services import (
    SAVE_FAILED,
    actor_require_manager,
    actor_require_staff,
    clean_text,
    contract_lock,
    owner_check,
)
from onboarding.acceptance.timers import timers_cancel
from onboarding.accounts.models import User
from onboarding.alerts.failures import failure_reported
from onboarding.alerts.services import admin_alert_raise
from onboarding.contracts.lifecycle import contract_cancel
from onboarding.core import clock
from onboarding.core.errors import Conflict
from onboarding.core.transitions import state_in_sentence
from onboarding.notifications.models import Channel
from onboarding.notifications.services import notification_send


def _act(review_id: int, *, actor: User, state: str, **fields) -> Review:
    """Move a review, record who and when, cancel its timer; returns the locked review."""
    # Lock order as everywhere: the contract, then its review.
    contract = contract_lock(contract_id=review_get(review_id=review_id).contract_id)
    review = review_get(review_id=review_id, lock=True)
    if not review.is_live:
        raise Conflict(
            gettext("This review is %(state)s; open the contract's current review instead.")
            % {"state": state_in_sentence(review.get_state_display())}
        )
    previous = review.state
    review.move_to(state)
    now = clock.now()
    if review.acknowledged_at is None:
        review.acknowledged_at, review.acknowledged_by = now, actor
    for name, value in fields.items():
        setattr(review, name, value)
    if state != ReviewState.ACKNOWLEDGED:
        review.acted_at, review.acted_by = now, actor
    review.save()
    timers_cancel(review=review, reason=f"{state} by {actor.email}")
    if review.acted_at is not None:
        # The next action is done: the review's SLA clock stops (acceptance/clocks.py).
        review_clock_stop(review=review, actor=actor)
    late = review.overdue_at is not None
    review_acted(
        actor=actor,
        contract=contract,
        review=review,
        previous=previous,
        late=late,
        note=clean_text(fields.get("outcome_note", ""), limit=500),
    )
    return review


@failure_reported(SAVE_FAILED, target="review")
def review_acknowledge(*, review: Review, actor: User) -> Review:
    """Green: a SysOps user acknowledges the logged acceptance (the contract is accepted).
    Yellow or red: a manager acknowledges seeing it; the next action is still to come."""
    actor_require_staff(actor=actor)
    if not review.is_green:
        actor_require_manager(actor=actor)
    state = ReviewState.ACCEPTED if review.is_green else ReviewState.ACKNOWLEDGED
    with transaction.atomic():
        return _act(review.pk, actor=actor, state=state)


def _require_capture_complete(review: Review) -> None:
    """An acceptance covers every requirement, so a red found during capture cannot be accepted
    before the rest are rated. It also keeps the review live through capture, so completing it
    red does not open a second red review (and notify the managers again)."""
    contract = contract_lock(contract_id=review.contract_id)
    if contract.requirements.filter(rating=Rating.UNRATED).exists():
        raise Conflict(
            gettext(
                "Some requirements are not rated yet. Accept with conditions once every one is "
                "rated; until then acknowledge, request remediation, escalate or cancel."
            )
        )


def _no_green(review: Review) -> None:
    if review.is_green:
        raise Conflict(gettext("A green acceptance needs only an acknowledgement."))


@failure_reported(SAVE_FAILED, target="review")
def review_accept_with_conditions(*, review: Review, actor: User, conditions: str) -> Review:
    actor_require_manager(actor=actor)
    _no_green(review)
    conditions = clean_text(conditions, limit=2000)
    if not conditions:
        raise Conflict(gettext("State the conditions of the acceptance."), field="conditions")
    with transaction.atomic():
        _require_capture_complete(review)
        return _act(
            review.pk,
            actor=actor,
            state=ReviewState.ACCEPTED_WITH_CONDITIONS,
            outcome_note=conditions,
        )


@failure_reported(SAVE_FAILED, target="review")
def review_request_remediation(
    *, review: Review, actor: User, owner: User | None, due: date | None, note: str
) -> Review:
    """Ask someone to fix what is not green by a date; they are told in-app and by email."""
    actor_require_manager(actor=actor)
    _no_green(review)
    if owner is None:
        raise Conflict(gettext("Choose who will fix it."), field="owner")
    owner_check(owner=owner)
    if due is None:
        raise Conflict(gettext("Give a due date."), field="due")
    if due < clock.now().date():
        raise Conflict(gettext("The due date cannot be in the past."), field="due")
    note = clean_text(note, limit=2000)
    with transaction.atomic():
        review = _act(
            review.pk,
            actor=actor,
            state=ReviewState.REMEDIATION,
            outcome_note=note,
            remediation_owner=owner,
            remediation_due=due,
        )
        notification_send(
            recipient=owner,
            kind="acceptance_remediation",
            subject=format_lazy(
                gettext_lazy("Remediation for contract {contract} due {due}"),
                contract=review.contract,
                due=f"{due:%Y-%m-%d}",
            ),
            template="acceptance/email/remediation_requested",
            context={
                "review": review,
                "contract": review.contract,
                "due": due,
                "note": note,
                "site_url": settings.SITE_URL,
            },
            dedupe_key=f"acceptance:review:{review.pk}:remediation:{owner.pk}:{due}",
            channels=[Channel.IN_APP, Channel.EMAIL],
        )
    return review


@failure_reported(SAVE_FAILED, target="review")
def review_escalate(*, review: Review, actor: User, note: str) -> Review:
    """Take it above the manager: every admin is alerted with the manager's note."""
    actor_require_manager(actor=actor)
    _no_green(review)
    note = clean_text(note, limit=2000)
    if not note:
        raise Conflict(gettext("Say why it is escalated."), field="note")
    with transaction.atomic():
        review = _act(review.pk, actor=actor, state=ReviewState.ESCALATED, outcome_note=note)
        admin_alert_raise(
            reason="acceptance_escalated",
            message=f"Manager {actor.email} escalated the {review.rating} acceptance of "
            f"contract {review.contract}: {note}",
            target=review.contract,
            customer_id=review.contract.customer_id,
            severity="warning",
        )
    return review


@failure_reported(SAVE_FAILED, target="review")
def review_cancel_contract(*, review: Review, actor: User, reason: str) -> Review:
    """The service cannot be supplied: cancel the contract (billing stops at period end)."""
    actor_require_manager(actor=actor)
    _no_green(review)
    reason = clean_text(reason, limit=500)
    if not reason:
        raise Conflict(gettext("Say why the contract is cancelled."), field="reason")
    with transaction.atomic():
        review = _act(
            review.pk, actor=actor, state=ReviewState.CONTRACT_CANCELLED, outcome_note=reason
        )
        contract_cancel(contract=review.contract, actor=actor, reason=reason)
        timers_cancel(contract=review.contract, reason="contract cancelled")
    return review
