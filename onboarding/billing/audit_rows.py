"""Audit entries written many at a time, for the bill run's batches.

The bulk counterpart of onboarding.audit.services.audit_record: the same columns, scrubbed the
same way, inserted with one statement in the caller's transaction (a bill run of 100,000
invoices cannot afford 100,000 single INSERTs). Entries join the hash chain when the sealer
next runs, exactly as audit_record's do.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from onboarding.audit.models import AuditEntry, Outcome
from onboarding.audit.services import audit_scrub, json_safe, scrub_text
from onboarding.core.context import current_client_ip, current_request_id


@dataclass
class AuditRow:
    action: str
    object_type: str
    object_id: str | int
    customer_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    outcome: str = Outcome.SUCCESS
    message: str = ""


def audit_rows_write(rows: list[AuditRow], *, actor=None, batch_size: int = 1000) -> None:
    """Insert one audit entry per row, in the caller's transaction."""
    if not rows:
        return
    now = timezone.now()
    actor_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    request_id, client_ip = current_request_id(), current_client_ip()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                occurred_at=now,
                actor=actor_user,
                actor_email=actor_user.email if actor_user else "",
                actor_role=actor_user.role if actor_user else "",
                action=row.action,
                outcome=row.outcome,
                object_type=row.object_type,
                object_id=str(row.object_id),
                customer_id=row.customer_id,
                changes=audit_scrub(json_safe(row.changes)),
                message=scrub_text(row.message),
                request_id=request_id,
                client_ip=client_ip,
            )
            for row in rows
        ],
        batch_size=batch_size,
    )
