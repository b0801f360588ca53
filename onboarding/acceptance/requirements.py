"""Requirements: capturing, rating, editing and removing them, the plans' standard ones, and
seeding a contract's requirements when it becomes active.

Each write locks the contract, checks it can still change, and settles the contract's status
and review afterwards (services.py), so ratings and the live review move in step. A failure of
ours in a write that a page or the API calls is reported at its boundary, as SAVE_FAILED.
"""

from django.db import transaction
from django.utils.translation import gettext

from onboarding.acceptance import events
from onboarding.acceptance.clocks import review_clock_reterm
from onboarding.acceptance.models import (
    GIVEN_RATINGS,
    Rating,
    RatingChange,
    Requirement,
    RequirementTemplate,
    capture_complete,
)
from onboarding.acceptance.selectors import contract_ratings, live_review_of, requirement_get
from onboarding.acceptance.services import (
    SAVE_FAILED,
    actor_require_manager,
    actor_require_staff,
    clean_text,
    contract_lock,
    contract_require_writable,
    owner_check,
    requirements_unknown_timer_start,
    status_settle,
)
from onboarding.accounts.models import User
from onboarding.alerts.failures import failure_reported
from onboarding.contracts.models import Contract
from onboarding.core.errors import Conflict


def _title_and_criteria(title: str, criteria: str) -> tuple[str, str]:
    """A requirement's title and criteria as stored; a Conflict naming the field if either is
    empty."""
    title, criteria = clean_text(title, limit=200), clean_text(criteria)
    if not title:
        raise Conflict(gettext("Name the requirement."), field="title")
    if not criteria:
        raise Conflict(gettext("Say what must be true for it to be green."), field="criteria")
    return title, criteria


@failure_reported(SAVE_FAILED, target="contract")
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
    actor_require_staff(actor=actor)
    title, criteria = _title_and_criteria(title, criteria)
    if rating not in GIVEN_RATINGS:
        raise Conflict(gettext("Rate it Red, Yellow or Green."), field="rating")
    with transaction.atomic():
        contract = contract_lock(contract_id=contract.pk)
        contract_require_writable(contract=contract)
        if contract.requirements.filter(title__iexact=title).exists():
            raise Conflict(
                gettext("This contract already has a requirement of that name."), field="title"
            )
        requirement = Requirement.objects.create(
            contract=contract,
            title=title,
            criteria=criteria,
            rating=rating,
            owner=owner_check(owner=owner),
            notes=clean_text(notes),
            position=contract.requirements.count(),
        )
        RatingChange.objects.create(
            requirement=requirement, from_rating=Rating.UNRATED, to_rating=rating, actor=actor
        )
        events.requirement_added(actor=actor, contract=contract, requirement=requirement)
        status_settle(contract=contract, actor=actor)
    return requirement


@failure_reported(SAVE_FAILED, target="contract")
def requirements_start_from_template(*, contract: Contract, actor: User) -> list[Requirement]:
    """Copy the plan's standard requirements into the contract, not yet rated. Ones the
    contract already has (by title) are left alone."""
    actor_require_staff(actor=actor)
    with transaction.atomic():
        contract = contract_lock(contract_id=contract.pk)
        contract_require_writable(contract=contract)
        if not RequirementTemplate.objects.filter(plan_id=contract.plan_id).exists():
            raise Conflict(
                gettext("Plan %(plan)s has no standard requirements.")
                % {"plan": contract.plan_name}
            )
        created = _copy_plan_templates(contract, actor=actor)
        status_settle(contract=contract, actor=actor)
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
        events.requirements_from_template(actor=actor, contract=contract, created=created)
    return created


@failure_reported(SAVE_FAILED, target="requirement")
def requirement_update(
    *,
    requirement: Requirement,
    actor: User,
    title: str,
    criteria: str,
    owner: User | None,
    notes: str,
) -> Requirement:
    actor_require_staff(actor=actor)
    title, criteria = _title_and_criteria(title, criteria)
    with transaction.atomic():
        contract = contract_lock(contract_id=requirement.contract_id)
        contract_require_writable(contract=contract)
        requirement = requirement_get(requirement_id=requirement.pk, lock=True)
        clash = contract.requirements.filter(title__iexact=title).exclude(pk=requirement.pk)
        if clash.exists():
            raise Conflict(
                gettext("This contract already has a requirement of that name."), field="title"
            )
        before = {
            "title": requirement.title,
            "criteria": requirement.criteria,
            "owner": requirement.owner_id,
            "notes": requirement.notes,
        }
        requirement.title, requirement.criteria = title, criteria
        requirement.owner, requirement.notes = owner_check(owner=owner), clean_text(notes)
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
        events.requirement_updated(
            actor=actor, contract=contract, requirement=requirement, changes=changes
        )
    return requirement


@failure_reported(SAVE_FAILED, target="requirement")
def requirement_rate(
    *, requirement: Requirement, actor: User, rating: str, note: str = ""
) -> Requirement:
    """Give a requirement a new rating; the rating's history keeps who, when and why."""
    actor_require_staff(actor=actor)
    if rating not in GIVEN_RATINGS:
        raise Conflict(gettext("Rate it Red, Yellow or Green."), field="rating")
    with transaction.atomic():
        contract = contract_lock(contract_id=requirement.contract_id)
        contract_require_writable(contract=contract)
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
            note=clean_text(note, limit=500),
        )
        events.requirement_rated(
            actor=actor,
            contract=contract,
            requirement=requirement,
            previous=previous,
            note=clean_text(note, limit=500),
        )
        status_settle(contract=contract, actor=actor)
    return requirement


@failure_reported(SAVE_FAILED, target="requirement")
def requirement_remove(*, requirement: Requirement, actor: User) -> None:
    actor_require_staff(actor=actor)
    with transaction.atomic():
        contract = contract_lock(contract_id=requirement.contract_id)
        contract_require_writable(contract=contract)
        requirement = requirement_get(requirement_id=requirement.pk, lock=True)
        events.requirement_removed(actor=actor, contract=contract, requirement=requirement)
        requirement.delete()
        status_settle(contract=contract, actor=actor)


def requirement_template_add(*, plan_id: int, actor: User, title: str, criteria: str):
    """Admins and managers maintain a plan's standard requirements (also in the Django admin)."""
    actor_require_manager(actor=actor)
    title, criteria = clean_text(title, limit=200), clean_text(criteria)
    if not title or not criteria:
        raise Conflict(
            gettext("A standard requirement needs a title and its criteria."), field="title"
        )
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
            events.template_added(actor=actor, template=template)
    return template


# --- seeding a contract that becomes active ------------------------------------------------------


def contract_activated(message, batch) -> None:
    """Outbox consumer of "contract.activated" (transactional): a renewal starts from the last
    term's requirements, a new contract from its plan's standard ones; a contract with none, or
    with some unrated, starts the timer after which they are "unknown to SysOps"."""
    contract = Contract.objects.filter(pk=message.payload.get("contract_id")).first()
    if contract is None:
        return
    contract = contract_lock(contract_id=contract.pk)
    if not contract.requirements.exists():
        if contract.previous_id:
            _carry_over(contract)
        else:
            _copy_plan_templates(contract, actor=None)
    if not capture_complete(contract_ratings(contract=contract)):
        requirements_unknown_timer_start(contract=contract)


def contract_plan_changed(message, batch) -> None:
    """Outbox consumer of "contract.plan_changed" (transactional): an amendment moved the
    contract onto another plan, so that plan's standard requirements are added (unrated, for
    SysOps to rate), the review follows its ratings, and a live review's next-action clock
    takes the new plan's terms."""
    contract = Contract.objects.filter(pk=message.payload.get("contract_id")).first()
    if contract is None:
        return
    contract = contract_lock(contract_id=contract.pk)
    if _copy_plan_templates(contract, actor=None):
        status_settle(contract=contract, actor=None)
    live = live_review_of(contract=contract, lock=True)
    if live is not None:
        # A review still waiting for its next action: the new plan's terms apply to it.
        review_clock_reterm(review=live, actor=None)


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
        events.requirements_carried_over(contract=contract, count=len(previous))
        status_settle(contract=contract, actor=None)
