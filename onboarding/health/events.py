"""The health app's audit events, one typed function each: nothing else writes them. Admins'
edits of HealthSettings are audited by audit.admin_edits ("health.healthsettings_updated")."""

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
