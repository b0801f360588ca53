"""Writes: capturing requirements, rating them, and what a change of status sets off.

Every write locks the contract row first, so the derived status and the contract's one live
review change in step even when two people rate at once. After each write `_status_settle`
compares the derived status with the live review:

- green: acceptance is logged ("Log acceptance") and waits for a SysOps acknowledgement;
- yellow or red: every manager is notified, in-app and by email ("Log notification");
- either way a timer is set for the acknowledgement, and the review it waited for is closed
  (superseded) when the status moves on.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onboarding.acceptance.models import (
    GIVEN_RATINGS,
    AcceptanceStatus,
    Rating,
    RatingChange,
    Requirement,
    RequirementTemplate,
    Review,
    ReviewState,
    Timer,
    TimerKind,
    TimerState,
    status_of,
)
from onboarding.acceptance.selectors import (
    contract_status,
    live_review_of,
    requirement_get,
    review_get,
)
from onboarding.acceptance.timers import timer_schedule, timers_cancel
from onboarding.accounts.models import User
from onboarding.alerts.services import admin_alert_raise
from onboarding.audit.services import audit_record
from onboarding.contracts.models import FINAL_STATES, IN_FORCE_STATES, Contract, ContractState
from onboarding.contracts.services import contract_cancel
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, Forbidden, NotFound
from onboarding.core.roles import STAFF_ROLES, Role
from onboarding.notifications.models import Channel
from onboarding.notifications.services import notification_send

logger = logging.getLogger("onboarding.acceptance")

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
CLOSED_CONTRACT_STATES = (*FINAL_STATES, ContractState.EXPIRED)


# --- helpers -------------------------------------------------------------------------------------


def _clean(text: str | None, *, limit: int | None = None) -> str:
    value = mask_card_numbers((text or "").replace("\x00", "").strip())
    return value[:limit] if limit else value


def _lock_contract(contract_id: int) -> Contract:
    try:
        return Contract.objects.select_for_update().select_related("customer").get(pk=contract_id)
    except Contract.DoesNotExist:
        raise NotFound("No such contract.") from None


def _writable(contract: Contract) -> None:
    if contract.state in CLOSED_CONTRACT_STATES:
        raise Conflict(
            f"Contract {contract} is {contract.get_state_display().lower()}; its requirements "
            "can no longer change."
        )


def _require_staff(actor: User) -> None:
    if actor is None or actor.role not in STAFF_ROLES:
        raise Forbidden("Only SysOps, managers and admins work on acceptance.")


def _require_manager(actor: User) -> None:
    if actor is None or actor.role not in MANAGER_ROLES:
        raise Forbidden("Only a manager (or an admin) can take this action.")


def _owner(owner: User | None) -> User | None:
    if owner is not None and (owner.role not in STAFF_ROLES or not owner.is_active):
        raise Conflict("The owner must be an active SysOps user, manager or admin.", field="owner")
    return owner


def ack_deadline_seconds(rating: str) -> int:
    return {
        Rating.GREEN: settings.ACCEPTANCE_GREEN_ACK_SECONDS,
        Rating.YELLOW: settings.ACCEPTANCE_YELLOW_ACK_SECONDS,
        Rating.RED: settings.ACCEPTANCE_RED_ACK_SECONDS,
    }[Rating(rating)]


# --- requirements --------------------------------------------------------------------------------


def requirement_add(
    *,
    contract: Contract,
    actor: User,
    title: str,
    criteria: str,
    rating: str,
    owner: User | None = None,
    notes: str = "",
) -> Requirement:
    """Capture one requirement with its acceptance criteria and first rating."""
    _require_staff(actor)
    title, criteria = _clean(title, limit=200), _clean(criteria)
    if not title:
        raise Conflict("Name the requirement.", field="title")
    if not criteria:
        raise Conflict("Say what must be true for it to be green.", field="criteria")
    if rating not in GIVEN_RATINGS:
        raise Conflict("Rate it Red, Yellow or Green.", field="rating")
    with transaction.atomic():
        contract = _lock_contract(contract.pk)
        _writable(contract)
        if contract.requirements.filter(title__iexact=title).exists():
            raise Conflict("This contract already has a requirement of that name.", field="title")
        requirement = Requirement.objects.create(
            contract=contract,
            title=title,
            criteria=criteria,
            rating=rating,
            owner=_owner(owner),
            notes=_clean(notes),
            position=contract.requirements.count(),
        )
        RatingChange.objects.create(
            requirement=requirement, from_rating=Rating.UNRATED, to_rating=rating, actor=actor
        )
        audit_record(
            action="acceptance.requirement_added",
            actor=actor,
            target=requirement,
            customer_id=contract.customer_id,
            changes={"contract": contract.pk, "title": title, "rating": rating},
        )
        _status_settle(contract, actor=actor)
    return requirement


def requirements_start_from_template(*, contract: Contract, actor: User) -> list[Requirement]:
    """Copy the plan's standard requirements into the contract, not yet rated. Ones the
    contract already has (by title) are left alone."""
    _require_staff(actor)
    with transaction.atomic():
        contract = _lock_contract(contract.pk)
        _writable(contract)
        if not RequirementTemplate.objects.filter(plan_id=contract.plan_id).exists():
            raise Conflict(f"Plan {contract.plan_name} has no standard requirements.")
        created = _copy_plan_templates(contract, actor=actor)
        _status_settle(contract, actor=actor)
    return created


def _copy_plan_templates(contract: Contract, *, actor: User | None) -> list[Requirement]:
    """The plan's standard requirements the contract lacks (by title), added unrated and
    audited (contract locked)."""
    templates = list(RequirementTemplate.objects.filter(plan_id=contract.plan_id))
    have = {title.lower() for title in contract.requirements.values_list("title", flat=True)}
    position = len(have)
    created = []
    for template in templates:
        if template.title.lower() in have:
            continue
        created.append(
            Requirement.objects.create(
                contract=contract,
                title=template.title,
                criteria=template.criteria,
                rating=Rating.UNRATED,
                template=template,
                position=position,
            )
        )
        position += 1
    if templates:
        audit_record(
            action="acceptance.requirements_from_template",
            actor=actor,
            target=contract,
            customer_id=contract.customer_id,
            changes={"added": [r.title for r in created]},
        )
    return created


def requirement_update(
    *,
    requirement: Requirement,
    actor: User,
    title: str,
    criteria: str,
    owner: User | None,
    notes: str,
) -> Requirement:
    _require_staff(actor)
    title, criteria = _clean(title, limit=200), _clean(criteria)
    if not title:
        raise Conflict("Name the requirement.", field="title")
    if not criteria:
        raise Conflict("Say what must be true for it to be green.", field="criteria")
    with transaction.atomic():
        contract = _lock_contract(requirement.contract_id)
        _writable(contract)
        requirement = requirement_get(requirement_id=requirement.pk, lock=True)
        clash = contract.requirements.filter(title__iexact=title).exclude(pk=requirement.pk)
        if clash.exists():
            raise Conflict("This contract already has a requirement of that name.", field="title")
        before = {
            "title": requirement.title,
            "criteria": requirement.criteria,
            "owner": requirement.owner_id,
            "notes": requirement.notes,
        }
        requirement.title, requirement.criteria = title, criteria
        requirement.owner, requirement.notes = _owner(owner), _clean(notes)
        after = {
            "title": requirement.title,
            "criteria": requirement.criteria,
            "owner": requirement.owner_id,
            "notes": requirement.notes,
        }
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if not changes:
            return requirement
        requirement.save(update_fields=["title", "criteria", "owner", "notes", "updated_at"])
        audit_record(
            action="acceptance.requirement_updated",
            actor=actor,
            target=requirement,
            customer_id=contract.customer_id,
            changes=changes,
        )
    return requirement


def requirement_rate(
    *, requirement: Requirement, actor: User, rating: str, note: str = ""
) -> Requirement:
    """Give a requirement a new rating; the rating's history keeps who, when and why."""
    _require_staff(actor)
    if rating not in GIVEN_RATINGS:
        raise Conflict("Rate it Red, Yellow or Green.", field="rating")
    with transaction.atomic():
        contract = _lock_contract(requirement.contract_id)
        _writable(contract)
        requirement = requirement_get(requirement_id=requirement.pk, lock=True)
        if requirement.rating == rating:
            return requirement
        previous = requirement.rating
        requirement.rating = rating
        requirement.save(update_fields=["rating", "updated_at"])
        RatingChange.objects.create(
            requirement=requirement,
            from_rating=previous,
            to_rating=rating,
            actor=actor,
            note=_clean(note, limit=500),
        )
        audit_record(
            action="acceptance.rated",
            actor=actor,
            target=requirement,
            customer_id=contract.customer_id,
            changes={"rating": [previous, rating], "contract": contract.pk},
            message=_clean(note, limit=500),
        )
        _status_settle(contract, actor=actor)
    return requirement


def requirement_remove(*, requirement: Requirement, actor: User) -> None:
    _require_staff(actor)
    with transaction.atomic():
        contract = _lock_contract(requirement.contract_id)
        _writable(contract)
        requirement = requirement_get(requirement_id=requirement.pk, lock=True)
        audit_record(
            action="acceptance.requirement_removed",
            actor=actor,
            target=requirement,
            customer_id=contract.customer_id,
            changes={"title": requirement.title, "rating": requirement.rating},
        )
        requirement.delete()
        _status_settle(contract, actor=actor)


# --- the status and its review -------------------------------------------------------------------


def _status_settle(contract: Contract, *, actor: User | None) -> Review | None:
    """Bring the contract's live review in line with its derived status (contract locked)."""
    status = contract_status(contract=contract)
    live = live_review_of(contract=contract, lock=True)
    if status not in (AcceptanceStatus.GREEN, AcceptanceStatus.YELLOW, AcceptanceStatus.RED):
        if live is not None:
            _supersede(live, actor=actor, status=status)
        if contract.state in IN_FORCE_STATES:
            # Rated requirements removed or unrated again: the wait for them starts over.
            _requirements_unknown_timer_start(contract, again=True)
        return None
    # Captured and rated: the "requirements unknown" timer has what it waited for.
    timers_cancel(
        contract=contract, kinds=[TimerKind.REQUIREMENTS_UNKNOWN], reason="requirements captured"
    )
    if live is not None and live.rating == status:
        return live
    if live is not None:
        _supersede(live, actor=actor, status=status)
    return _review_open(contract, rating=Rating(status.value), actor=actor)


def _supersede(review: Review, *, actor: User | None, status: str) -> None:
    previous = review.state
    review.move_to(ReviewState.SUPERSEDED)
    review.save(update_fields=["state", "closed_at"])
    timers_cancel(review=review, reason=f"status became {status}")
    audit_record(
        action="acceptance.review_superseded",
        actor=actor,
        target=review,
        customer_id=review.contract.customer_id,
        changes={"state": [previous, review.state], "status": status},
    )


def _review_open(contract: Contract, *, rating: Rating, actor: User | None) -> Review:
    now = timezone.now()
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
        audit_record(
            action="acceptance.logged",
            actor=actor,
            target=review,
            customer_id=contract.customer_id,
            changes={"contract": contract.pk, "ack_due_at": review.ack_due_at},
            message="Log acceptance: every requirement is green; waiting for a SysOps "
            "acknowledgement",
        )
    else:
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
    subject = f"{review.get_rating_display()}: contract {contract} needs a manager"
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
    audit_record(
        action="acceptance.manager_notified",
        target=review,
        customer_id=contract.customer_id,
        changes={"managers": [m.pk for m in managers], "rating": review.rating},
        message=f"Log notification: {review.rating} acceptance sent to {len(managers)} manager(s)",
    )


# --- acknowledgements and the manager's actions --------------------------------------------------


def _act(review_id: int, *, actor: User, state: str, **fields) -> Review:
    """Move a review, record who and when, cancel its timer; returns the locked review."""
    # Lock order as everywhere: the contract, then its review.
    contract = _lock_contract(review_get(review_id=review_id).contract_id)
    review = review_get(review_id=review_id, lock=True)
    if not review.is_live:
        raise Conflict(
            f"This review is {review.get_state_display().lower()}; open the contract's current "
            "review instead."
        )
    previous = review.state
    review.move_to(state)
    now = timezone.now()
    if review.acknowledged_at is None:
        review.acknowledged_at, review.acknowledged_by = now, actor
    for name, value in fields.items():
        setattr(review, name, value)
    if state != ReviewState.ACKNOWLEDGED:
        review.acted_at, review.acted_by = now, actor
    review.save()
    timers_cancel(review=review, reason=f"{state} by {actor.email}")
    late = review.overdue_at is not None
    audit_record(
        action=f"acceptance.review_{state}",
        actor=actor,
        target=review,
        customer_id=contract.customer_id,
        changes={"state": [previous, review.state], "rating": review.rating, "late": late},
        message=_clean(fields.get("outcome_note", ""), limit=500),
    )
    return review


def review_acknowledge(*, review: Review, actor: User) -> Review:
    """Green: a SysOps user acknowledges the logged acceptance (the contract is accepted).
    Yellow or red: a manager acknowledges seeing it; the next action is still to come."""
    _require_staff(actor)
    if not review.is_green:
        _require_manager(actor)
    state = ReviewState.ACCEPTED if review.is_green else ReviewState.ACKNOWLEDGED
    with transaction.atomic():
        return _act(review.pk, actor=actor, state=state)


def _no_green(review: Review) -> None:
    if review.is_green:
        raise Conflict("A green acceptance needs only an acknowledgement.")


def review_accept_with_conditions(*, review: Review, actor: User, conditions: str) -> Review:
    _require_manager(actor)
    _no_green(review)
    conditions = _clean(conditions, limit=2000)
    if not conditions:
        raise Conflict("State the conditions of the acceptance.", field="conditions")
    with transaction.atomic():
        return _act(
            review.pk,
            actor=actor,
            state=ReviewState.ACCEPTED_WITH_CONDITIONS,
            outcome_note=conditions,
        )


def review_request_remediation(
    *, review: Review, actor: User, owner: User | None, due: date | None, note: str
) -> Review:
    """Ask someone to fix what is not green by a date; they are told in-app and by email."""
    _require_manager(actor)
    _no_green(review)
    if owner is None:
        raise Conflict("Choose who will fix it.", field="owner")
    _owner(owner)
    if due is None:
        raise Conflict("Give a due date.", field="due")
    if due < timezone.now().date():
        raise Conflict("The due date cannot be in the past.", field="due")
    note = _clean(note, limit=2000)
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
            subject=f"Remediation for contract {review.contract} due {due:%Y-%m-%d}",
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


def review_escalate(*, review: Review, actor: User, note: str) -> Review:
    """Take it above the manager: every admin is alerted with the manager's note."""
    _require_manager(actor)
    _no_green(review)
    note = _clean(note, limit=2000)
    if not note:
        raise Conflict("Say why it is escalated.", field="note")
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


def review_cancel_contract(*, review: Review, actor: User, reason: str) -> Review:
    """The service cannot be supplied: cancel the contract (billing stops at period end)."""
    _require_manager(actor)
    _no_green(review)
    reason = _clean(reason, limit=500)
    if not reason:
        raise Conflict("Say why the contract is cancelled.", field="reason")
    with transaction.atomic():
        review = _act(
            review.pk, actor=actor, state=ReviewState.CONTRACT_CANCELLED, outcome_note=reason
        )
        contract_cancel(contract=review.contract, actor=actor, reason=reason)
        timers_cancel(contract=review.contract, reason="contract cancelled")
    return review


def contract_activated(message, batch) -> None:
    """Outbox consumer of "contract.activated" (transactional): a renewal starts from the last
    term's requirements, a new contract from its plan's standard ones; a contract still without
    rated requirements starts the timer after which they are "unknown to SysOps"."""
    contract = Contract.objects.filter(pk=message.payload.get("contract_id")).first()
    if contract is None:
        return
    contract = _lock_contract(contract.pk)
    if not contract.requirements.exists():
        if contract.previous_id:
            _carry_over(contract)
        else:
            _copy_plan_templates(contract, actor=None)
    if contract_status(contract=contract) in (
        AcceptanceStatus.UNKNOWN,
        AcceptanceStatus.IN_CAPTURE,
    ):
        _requirements_unknown_timer_start(contract)


def _requirements_unknown_timer_start(contract: Contract, *, again: bool = False) -> None:
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
        due_at=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS),
    )


def _carry_over(contract: Contract) -> None:
    previous = list(Requirement.objects.filter(contract_id=contract.previous_id))
    for requirement in previous:
        copy = Requirement.objects.create(
            contract=contract,
            title=requirement.title,
            criteria=requirement.criteria,
            rating=requirement.rating,
            owner=requirement.owner,
            notes=requirement.notes,
            position=requirement.position,
            template=requirement.template,
        )
        RatingChange.objects.create(
            requirement=copy,
            from_rating=Rating.UNRATED,
            to_rating=copy.rating,
            note=f"carried over from contract {contract.previous}",
        )
    if previous:
        audit_record(
            action="acceptance.requirements_carried_over",
            target=contract,
            customer_id=contract.customer_id,
            changes={"from": contract.previous_id, "count": len(previous)},
        )
        _status_settle(contract, actor=None)


def requirement_template_add(*, plan_id: int, actor: User, title: str, criteria: str):
    """Admins and managers maintain a plan's standard requirements (also in the Django admin)."""
    _require_manager(actor)
    title, criteria = _clean(title, limit=200), _clean(criteria)
    if not title or not criteria:
        raise Conflict("A standard requirement needs a title and its criteria.", field="title")
    with transaction.atomic():
        template, created = RequirementTemplate.objects.get_or_create(
            plan_id=plan_id,
            title=title,
            defaults={
                "criteria": criteria,
                "position": RequirementTemplate.objects.filter(plan_id=plan_id).count(),
            },
        )
        if created:
            audit_record(
                action="acceptance.template_added",
                actor=actor,
                target=template,
                changes={"plan": plan_id, "title": title},
            )
    return template


__all__ = [
    "ack_deadline_seconds",
    "contract_activated",
    "requirement_add",
    "requirement_rate",
    "requirement_remove",
    "requirement_template_add",
    "requirement_update",
    "requirements_start_from_template",
    "review_accept_with_conditions",
    "review_acknowledge",
    "review_cancel_contract",
    "review_escalate",
    "review_request_remediation",
    "status_of",
]
