"""The managers' review of a customer's fall into red: the same next-action flow acceptance
gives a yellow or red contract (acceptance/reviews.py), for a customer's health.

- A fall into red opens one review, in the recompute's transaction (services._red_crossed):
  the CustomerHealth row is locked there, the review is keyed by the snapshot that recorded the
  crossing (unique) and a customer has at most one live review (a conditional unique
  constraint), so two workers recomputing at once open one review.
- A manager (or an admin) acknowledges it, then chooses the next action: contact the customer
  or offer a plan change or discount (each with an owner, told in-app and by email, and a due
  date), escalate to the admins (alerted), or accept the risk (with a note). Choosing an action
  on an open review acknowledges it too. The moves are HealthReview.move_to's (REVIEW_MOVES).
- The customer leaving red before anyone acted closes the live review (audited): nothing is
  left to act on, and a new fall into red opens a new review.
- Nobody acknowledging by `ack_due_at` (HEALTH_REVIEW_ACK_SECONDS): the periodic review task
  fires `health_reviews_unacknowledged_fire`, which takes each due review once (a conditional
  UPDATE of `unacknowledged_at`), audits the failure, raises a `health_unacknowledged` risk
  event on the real-time queue and alerts the admins. The next action is due by
  `action_due_at` (HEALTH_REVIEW_ACTION_SECONDS); past it the review shows overdue.

Every write locks the customer's CustomerHealth row first, then the review: the recompute's
order, so an action and a recompute closing the review take turns.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext, gettext_lazy

from onboarding.accounts.models import User
from onboarding.alerts.failures import FailureNotice, failure_reported
from onboarding.alerts.services import admin_alert_raise
from onboarding.contracts.models import IN_FORCE_STATES, Contract
from onboarding.core import clock
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, Forbidden, NotFound
from onboarding.core.roles import STAFF_ROLES, Role
from onboarding.core.transitions import state_in_sentence
from onboarding.health import events
from onboarding.health.explain import red_details
from onboarding.health.models import (
    ACTIONS_WITH_OWNER,
    LIVE_HEALTH_REVIEW_STATES,
    CustomerHealth,
    CustomerHealthSnapshot,
    HealthReview,
    NextAction,
    ReviewState,
)
from onboarding.notifications.models import Channel
from onboarding.notifications.services import notification_send
from onboarding.risk.models import RiskLevel, RiskType
from onboarding.risk.services import risk_event_raise

logger = logging.getLogger(__name__)

REVIEW_FAILED = FailureNotice(
    "health_review_failed",
    gettext_lazy(
        "The review could not be saved because of a fault on our side. Nothing was changed; an "
        "admin has been told. Please try again in a few minutes."
    ),
)
REVIEW_PAGE = "health:review"
# Who acknowledges and acts: acceptance's rule (acceptance.services.MANAGER_ROLES).
MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)


def clean_text(text: str | None, *, limit: int) -> str:
    """Free text as stored: no NUL bytes, no surrounding space, card numbers masked, cut."""
    return mask_card_numbers((text or "").replace("\x00", "").strip())[:limit]


def review_url(review: HealthReview) -> str:
    return settings.SITE_URL + reverse(REVIEW_PAGE, args=[review.pk])


def contract_for_risk(customer_id: int) -> Contract | None:
    """The customer's contract in force (the one ending last), else its latest: what a risk
    event about the customer is held against."""
    contracts = Contract.objects.filter(customer_id=customer_id)
    return (
        contracts.filter(state__in=IN_FORCE_STATES).order_by("-term_end", "-id").first()
        or contracts.order_by("-id").first()
    )


# --- opened and closed by the recompute (its transaction, the CustomerHealth row locked) ---------


def health_review_open(
    *, snapshot: CustomerHealthSnapshot, reason: str, now: dt.datetime
) -> HealthReview:
    """Open the review of the fall into red `snapshot` recorded (once: the same snapshot again
    returns its review). A live review left over is closed first: one live review a customer."""
    existing = HealthReview.objects.filter(snapshot=snapshot).first()
    if existing is not None:
        return existing
    health_reviews_close(
        customer_id=snapshot.customer_id, reason="A new fall into red opened a new review"
    )
    review = HealthReview.objects.create(
        customer_id=snapshot.customer_id,
        snapshot=snapshot,
        score=snapshot.score,
        reason=reason[:500],
        opened_at=now,
        ack_due_at=now + dt.timedelta(seconds=settings.HEALTH_REVIEW_ACK_SECONDS),
        action_due_at=now + dt.timedelta(seconds=settings.HEALTH_REVIEW_ACTION_SECONDS),
    )
    events.health_review_opened(review=review)
    return review


def health_reviews_close(*, customer_id: int, reason: str) -> int:
    """Close the customer's live review without an action (it left red), audited."""
    closed = 0
    for review in HealthReview.objects.select_for_update().filter(
        customer_id=customer_id, state__in=LIVE_HEALTH_REVIEW_STATES
    ):
        review.move_to(ReviewState.CLOSED)
        review.closed_at = clock.now()
        review.close_reason = reason[:200]
        review.save(update_fields=["state", "closed_at", "close_reason"])
        events.health_review_closed(review=review)
        closed += 1
    return closed


# --- the managers' acknowledgement and next action ----------------------------------------------


def actor_require_manager(*, actor: User) -> None:
    if actor is None or getattr(actor, "role", None) not in MANAGER_ROLES:
        raise Forbidden(
            gettext("Only a manager (or an admin) can acknowledge or act on a health review.")
        )


def health_review_get(*, review_id: int, lock: bool = False) -> HealthReview:
    reviews = HealthReview.objects.select_related(
        "customer__user", "acknowledged_by", "acted_by", "owner"
    )
    if lock:
        reviews = reviews.select_for_update(of=("self",))
    review = reviews.filter(pk=review_id).first()
    if review is None:
        raise NotFound(gettext("No such health review."))
    return review


def _locked_live(review_id: int) -> HealthReview:
    """Lock the customer's health row, then the review (the recompute's order); refuse a
    review that is no longer live."""
    customer_id = health_review_get(review_id=review_id).customer_id
    CustomerHealth.objects.select_for_update().filter(pk=customer_id).first()
    review = health_review_get(review_id=review_id, lock=True)
    if not review.is_live:
        raise Conflict(
            gettext("This review is %(state)s; nothing more can be done on it.")
            % {"state": state_in_sentence(review.get_state_display())}
        )
    return review


@failure_reported(REVIEW_FAILED, target="review")
def health_review_acknowledge(*, review: HealthReview, actor: User) -> HealthReview:
    """A manager has seen the fall into red; the next action is still to come."""
    actor_require_manager(actor=actor)
    with transaction.atomic():
        review = _locked_live(review.pk)
        review.move_to(ReviewState.ACKNOWLEDGED)
        review.acknowledged_at, review.acknowledged_by = clock.now(), actor
        review.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        events.health_review_acknowledged(review=review, actor=actor)
    return review


def _checked_owner(owner: User | None) -> User:
    if owner is None:
        raise Conflict(gettext("Choose who will do it."), field="owner")
    if owner.role not in STAFF_ROLES or not owner.is_active:
        raise Conflict(
            gettext("The owner must be an active SysOps user, manager or admin."), field="owner"
        )
    return owner


def _checked_due(due: dt.date | None) -> dt.date:
    if due is None:
        raise Conflict(gettext("Give a due date."), field="due")
    if due < clock.today():
        raise Conflict(gettext("The due date cannot be in the past."), field="due")
    return due


@failure_reported(REVIEW_FAILED, target="review")
def health_review_act(
    *,
    review: HealthReview,
    actor: User,
    action: str,
    owner: User | None = None,
    due: dt.date | None = None,
    note: str = "",
) -> HealthReview:
    """The manager's next action on a customer in red. Contact and offer need an owner (told
    in-app and by email) and a due date; escalate and accept the risk need a note saying why.
    Bad input is refused field by field before anything is written."""
    actor_require_manager(actor=actor)
    if action not in NextAction.values:
        raise Conflict(gettext("Choose one of the next actions."), field="action")
    note = clean_text(note, limit=2000)
    if action in ACTIONS_WITH_OWNER:
        owner, due = _checked_owner(owner), _checked_due(due)
    else:
        owner, due = None, None
        if not note:
            field_why = {
                NextAction.ESCALATE: "Say why it is escalated.",
                NextAction.ACCEPT_RISK: "Say why the risk is accepted.",
            }
            raise Conflict(field_why[action], field="note")
    with transaction.atomic():
        review = _locked_live(review.pk)
        previous = review.state
        review.move_to(ReviewState.ACTED)
        now = clock.now()
        late = now > review.action_due_at
        if review.acknowledged_at is None:
            review.acknowledged_at, review.acknowledged_by = now, actor
        review.acted_at, review.acted_by = now, actor
        review.action, review.owner, review.due, review.note = action, owner, due, note
        review.save()
        events.health_review_acted(review=review, actor=actor, previous=previous, late=late)
        _act_follow_up(review, actor)
    return review


# Lazy, so a notice's words are made in its recipient's language inside notification_send.
# An action's label inside a sentence: lower-cased, but German keeps the capitals of its nouns
# ("Kunden kontaktieren").
_lower = lazy(lambda text: str(text) if get_language() == "de" else str(text).lower(), str)
_stripped = lazy(lambda text: str(text).strip(), str)


def _act_follow_up(review: HealthReview, actor: User) -> None:
    customer = review.customer
    if review.action in ACTIONS_WITH_OWNER:
        notification_send(
            recipient=review.owner,
            kind="health.review_assigned",
            # Lazy: written in the owner's console language inside notification_send.
            subject=format_lazy(
                gettext_lazy("{reference}: {action} by {due}"),
                reference=customer.reference,
                action=_lower(NextAction(review.action).label),
                due=f"{review.due:%Y-%m-%d}",
            ),
            template="notifications/generic",
            context={
                "greeting": format_lazy(gettext_lazy("Hello {name},"), name=review.owner.first_name)
                if review.owner.first_name
                else "",
                "body": _stripped(
                    format_lazy(
                        gettext_lazy(
                            "{email} asks you to {action} ({customer}, {reference}, health "
                            "{score}, red) by {due}. {note}"
                        ),
                        email=actor.email,
                        action=_lower(NextAction(review.action).label),
                        customer=customer.display_name,
                        reference=customer.reference,
                        score=review.score,
                        due=f"{review.due:%Y-%m-%d}",
                        note=review.note,
                    )
                ),
                "action_url": review_url(review),
                "action_label": gettext_lazy("Open the review"),
            },
            dedupe_key=f"health-review:{review.pk}:assigned:{review.owner_id}",
            channels=[Channel.IN_APP, Channel.EMAIL],
        )
    elif review.action == NextAction.ESCALATE:
        admin_alert_raise(
            reason="health_review_escalated",
            message=f"Manager {actor.email} escalated {customer.reference}'s fall into red "
            f"(health {review.score}): {review.note}",
            target=review,
            customer_id=review.customer_id,
            severity="warning",
        )


# --- the acknowledgement timer -------------------------------------------------------------------


def health_reviews_ack_due(*, now: dt.datetime, limit: int) -> list[int]:
    return list(
        HealthReview.objects.filter(
            clock.customer_scope("customer"),
            state=ReviewState.OPEN,
            unacknowledged_at__isnull=True,
            ack_due_at__lte=now,
        )
        .order_by("ack_due_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def health_reviews_unacknowledged_fire(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Fire the acknowledgement timer of every open review past its `ack_due_at`; returns how
    many fired. Safe in many processes at once: each review is taken by one conditional UPDATE,
    in the transaction of its effects, so it fires once."""
    now = now or clock.now()
    fired = 0
    for review_id in health_reviews_ack_due(now=now, limit=limit):
        try:
            fired += health_review_unacknowledged(review_id=review_id, now=now)
        except Exception:
            # One bad review must not stop the others; it stays due and is tried next pass.
            logger.exception("health review timer failed", extra={"review_id": review_id})
            admin_alert_raise(
                reason="health_review_timer_failed",
                message=f"The acknowledgement timer of health review #{review_id} failed; it "
                "is tried again at the next pass.",
                object_type="health.healthreview",
                object_id=str(review_id),
            )
    return fired


def health_review_unacknowledged(*, review_id: int, now: dt.datetime) -> int:
    with transaction.atomic():
        taken = HealthReview.objects.filter(
            pk=review_id, state=ReviewState.OPEN, unacknowledged_at__isnull=True
        ).update(unacknowledged_at=now)
        if not taken:
            return 0  # acknowledged, acted, closed, or another pass fired it
        review = health_review_get(review_id=review_id)
        events.health_review_unacknowledged(review=review)
        customer = review.customer
        contract = contract_for_risk(review.customer_id)
        if contract is not None:
            risk_event_raise(
                type=RiskType.HEALTH_UNACKNOWLEDGED,
                level=RiskLevel.RED,
                contract=contract,
                reason=f"{customer.reference} fell into red and no manager acknowledged it by "
                f"{review.ack_due_at:%Y-%m-%d %H:%M} UTC. {review.reason}",
                details={
                    "customer": customer.reference,
                    "due_at": review.ack_due_at.isoformat(),
                    **red_details(review.score, review.snapshot.factors),
                },
                dedupe_key=f"health-review-unacknowledged:{review.pk}",
            )
        admin_alert_raise(
            reason="health_review_unacknowledged",
            message=f"No manager acknowledged {customer.reference}'s fall into red (health "
            f"{review.score}) by {review.ack_due_at:%Y-%m-%d %H:%M} UTC: {review_url(review)}",
            target=review,
            customer_id=review.customer_id,
            severity="warning",
        )
    return 1
