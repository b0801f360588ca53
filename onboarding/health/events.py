"""The health app's audit events, one typed function each: nothing else writes them. Admins'
edits of HealthSettings are audited by audit.admin_edits ("health.healthsettings_updated")."""

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record


def health_band_changed(
    *, customer_id: int, before: str | None, after: str, score: int, costliest: list[dict]
) -> None:
    """A customer's band changed (`before` None: the first score): the band before and after,
    the score, and the costliest factors with what each cost and why. It leaves as the webhook
    event `customer.health_changed` (webhooks/catalog.py, docs/events.md)."""
    audit_record(
        action="health.band_changed",
        object_type="health.customerhealth",
        object_id=customer_id,
        customer_id=customer_id,
        changes={
            "band": [before, after],
            "score": score,
            "costliest": [
                {"factor": f["factor"], "cost": f["cost"], "explanation": f["explanation"]}
                for f in costliest
            ],
        },
    )


def health_rescore_started(*, actor) -> None:
    """The settings changed: every customer is re-scored in the background."""
    audit_record(
        action="health.rescore_started",
        actor=actor,
        object_type="health.healthsettings",
        object_id=1,
    )


# --- the managers' review of a fall into red (reviews.py) ----------------------------------------


def health_review_opened(*, review) -> None:
    """A fall into red opened a review for the managers (in the recompute's transaction)."""
    audit_record(
        action="health.review_opened",
        target=review,
        customer_id=review.customer_id,
        changes={
            "score": review.score,
            "ack_due_at": review.ack_due_at,
            "action_due_at": review.action_due_at,
        },
    )


def health_review_acknowledged(*, review, actor) -> None:
    audit_record(
        action="health.review_acknowledged",
        actor=actor,
        target=review,
        customer_id=review.customer_id,
        changes={"state": ["open", "acknowledged"], "late": review.unacknowledged_at is not None},
    )


def health_review_acted(*, review, actor, previous: str, late: bool) -> None:
    """The next action was chosen: which, for whom, by when, why, and whether it was late."""
    audit_record(
        action="health.review_acted",
        actor=actor,
        target=review,
        customer_id=review.customer_id,
        changes={
            "state": [previous, review.state],
            "action": review.action,
            "owner": review.owner.email if review.owner_id else None,
            "due": review.due,
            "note": review.note,
            "late": late,
        },
    )


def health_review_closed(*, review) -> None:
    """The customer left red before anyone chose a next action: nothing is left to act on."""
    audit_record(
        action="health.review_closed",
        target=review,
        customer_id=review.customer_id,
        changes={"state": "closed", "reason": review.close_reason},
    )


def health_review_unacknowledged(*, review) -> None:
    """No manager acknowledged in time: sent to the risk queue (a failure the timer found)."""
    audit_record(
        action="health.review_unacknowledged",
        target=review,
        customer_id=review.customer_id,
        outcome=Outcome.FAILURE,
        changes={"ack_due_at": review.ack_due_at},
        message="No manager acknowledged the customer's fall into red in time: sent to the "
        "risk queue",
    )
