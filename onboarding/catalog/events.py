"""The catalog's audit events (an admin's edits to products, plans and prices), one typed function
each: nothing else writes them. The action names the model: "catalog.plan_updated"."""

from typing import Any

from django.db import models

from onboarding.audit.services import audit_record


def catalog_item_saved(
    *, actor, item: models.Model, created: bool, changes: dict[str, list[Any]]
) -> None:
    audit_record(
        action=f"catalog.{item._meta.model_name}_{'created' if created else 'updated'}",
        actor=actor,
        target=item,
        changes=changes,
    )


def catalog_item_deleted(*, actor, item: models.Model) -> None:
    audit_record(action=f"catalog.{item._meta.model_name}_deleted", actor=actor, target=item)
