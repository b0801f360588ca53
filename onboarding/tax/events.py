"""The tax app's audit events: an admin's edits to the rates table."""

from typing import Any

from onboarding.audit.services import audit_record
from onboarding.tax.models import TaxRate


def tax_rate_saved(*, actor, rate: TaxRate, created: bool, changes: dict[str, list[Any]]) -> None:
    audit_record(
        action=f"tax.rate_{'created' if created else 'updated'}",
        actor=actor,
        target=rate,
        changes=changes,
        message=str(rate),
    )


def tax_rate_deleted(*, actor, rate: TaxRate) -> None:
    audit_record(action="tax.rate_deleted", actor=actor, target=rate, message=str(rate))
