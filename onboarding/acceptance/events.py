"""The acceptance app's audit events, one typed function each: nothing else writes them.

Requirements captured, rated, changed and carried over; a review opened, acted on and
superseded; the timers' soft failures (nobody acknowledged in time, requirements still unknown).
"""

from typing import Any

from onboarding.acceptance.models import Requirement, RequirementTemplate, Review
from onboarding.accounts.models import User
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.contracts.models import Contract

# --- Requirements ------------------------------------------------------------------------------


def requirement_added(*, actor: User, contract: Contract, requirement: Requirement) -> None:
    audit_record(
        action="acceptance.requirement_added",
        actor=actor,
        target=requirement,
        customer_id=contract.customer_id,
        changes={
            "contract": contract.pk,
            "title": requirement.title,
            "rating": requirement.rating,
        },
    )


def requirements_from_template(
    *, actor: User, contract: Contract, created: list[Requirement]
) -> None:
    audit_record(
        action="acceptance.requirements_from_template",
        actor=actor,
        target=contract,
        customer_id=contract.customer_id,
        changes={"added": [r.title for r in created]},
    )


def requirement_updated(
    *, actor: User, contract: Contract, requirement: Requirement, changes: dict[str, list[Any]]
) -> None:
    audit_record(
        action="acceptance.requirement_updated",
        actor=actor,
        target=requirement,
        customer_id=contract.customer_id,
        changes=changes,
    )


def requirement_rated(
    *, actor: User, contract: Contract, requirement: Requirement, previous: str, note: str
) -> None:
    """`note` is the cleaned note the rating change stores."""
    audit_record(
        action="acceptance.rated",
        actor=actor,
        target=requirement,
        customer_id=contract.customer_id,
        changes={"rating": [previous, requirement.rating], "contract": contract.pk},
        message=note,
    )


def requirement_removed(*, actor: User, contract: Contract, requirement: Requirement) -> None:
    """Recorded before the row is deleted, so the entry still names it."""
    audit_record(
        action="acceptance.requirement_removed",
        actor=actor,
        target=requirement,
        customer_id=contract.customer_id,
        changes={"title": requirement.title, "rating": requirement.rating},
    )


def template_added(*, actor: User, template: RequirementTemplate) -> None:
    """A plan's standard requirement."""
    audit_record(
        action="acceptance.template_added",
        actor=actor,
        target=template,
        changes={"plan": template.plan_id, "title": template.title},
    )


def requirements_carried_over(*, contract: Contract, count: int) -> None:
    """A renewal starts from the previous term's requirements."""
    audit_record(
        action="acceptance.requirements_carried_over",
        target=contract,
        customer_id=contract.customer_id,
        changes={"from": contract.previous_id, "count": count},
    )


# --- Reviews -----------------------------------------------------------------------------------


def review_logged(*, actor: User | None, contract: Contract, review: Review) -> None:
    """Every requirement is green: the acceptance waits for a SysOps acknowledgement."""
    audit_record(
        action="acceptance.logged",
        actor=actor,
        target=review,
        customer_id=contract.customer_id,
        changes={"contract": contract.pk, "ack_due_at": review.ack_due_at},
        message="Log acceptance: every requirement is green; waiting for a SysOps acknowledgement",
    )


def managers_notified(*, contract: Contract, review: Review, managers: list[User]) -> None:
    audit_record(
        action="acceptance.manager_notified",
        target=review,
        customer_id=contract.customer_id,
        changes={"managers": [m.pk for m in managers], "rating": review.rating},
        message=f"Log notification: {review.rating} acceptance sent to {len(managers)} manager(s)",
    )


def review_acted(
    *, actor: User, contract: Contract, review: Review, previous: str, late: bool, note: str
) -> None:
    """A person moved the review: "acceptance.review_<the state it reached>"."""
    audit_record(
        action=f"acceptance.review_{review.state}",
        actor=actor,
        target=review,
        customer_id=contract.customer_id,
        changes={"state": [previous, review.state], "rating": review.rating, "late": late},
        message=note,
    )


def review_superseded(*, actor: User | None, review: Review, previous: str, status: str) -> None:
    """A new rating replaced the live review; `status` is the contract's acceptance status."""
    audit_record(
        action="acceptance.review_superseded",
        actor=actor,
        target=review,
        customer_id=review.contract.customer_id,
        changes={"state": [previous, review.state], "status": status},
    )


# --- Timers (soft failures) --------------------------------------------------------------------


def green_unacknowledged(*, contract: Contract, review: Review) -> None:
    audit_record(
        action="acceptance.green_unacknowledged",
        target=review,
        customer_id=contract.customer_id,
        outcome=Outcome.FAILURE,
        changes={"ack_due_at": review.ack_due_at},
        message="Soft failure: the logged acceptance was not acknowledged by SysOps in time",
    )


def manager_unacknowledged(*, contract: Contract, review: Review) -> None:
    audit_record(
        action="acceptance.manager_unacknowledged",
        target=review,
        customer_id=contract.customer_id,
        outcome=Outcome.FAILURE,
        changes={"rating": review.rating, "ack_due_at": review.ack_due_at},
        message="No manager acknowledged the rating in time: sent to the risk queue",
    )


def requirements_unknown(*, contract: Contract, status: str) -> None:
    audit_record(
        action="acceptance.requirements_unknown",
        target=contract,
        customer_id=contract.customer_id,
        outcome=Outcome.FAILURE,
        changes={"status": status},
        message="Product support requirements unknown to SysOps: sent to the risk queue",
    )
