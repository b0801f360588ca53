"""The SLA app's audit events (an admin's edits to calendars, holidays and policies, and the
seed), one typed function each: nothing else writes them. Actions read "sla.slapolicy_updated"."""

from typing import Any

from django.db import models

from onboarding.audit.services import audit_record


def sla_item_saved(
    *, actor, item: models.Model, created: bool, changes: dict[str, list[Any]]
) -> None:
    audit_record(
        action=f"sla.{item._meta.model_name}_{'created' if created else 'updated'}",
        actor=actor,
        target=item,
        changes=changes,
    )


def sla_item_deleted(*, actor, item: models.Model) -> None:
    audit_record(action=f"sla.{item._meta.model_name}_deleted", actor=actor, target=item)


def sla_seeded(*, policies_created: int, holidays_created: int) -> None:
    audit_record(
        action="sla.seeded",
        object_type="sla.slapolicy",
        changes={"policies_created": policies_created, "holidays_created": holidays_created},
    )
