"""Audit entries written many at a time, for the bill run's batches.

The bulk counterpart of onboarding.audit.services.audit_record: the same columns, scrubbed the
same way, inserted with multi-row statements in the caller's transaction (a bill run of 100,000
invoices cannot afford 100,000 single INSERTs). Entries join the hash chain when the sealer
next runs, exactly as audit_record's do.
"""

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from onboarding.audit.chain import HASHED_FIELDS
from onboarding.audit.models import AuditEntry, Outcome
from onboarding.audit.services import audit_changes_safe, scrub_text
from onboarding.core import clock
from onboarding.core.bulk import rows_insert
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


# The entry's content as the chain hashes it (the id is the database's), then the chain columns.
_COLUMNS = (*(name for name in HASHED_FIELDS if name != "id"), "seq", "prev_hash", "hash")


def audit_rows_write(rows: list[AuditRow], *, actor=None) -> None:
    """Insert one audit entry per row, in the caller's transaction."""
    if not rows:
        return
    now = timezone.now()
    actor_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    actor_id = actor_user.pk if actor_user else None
    actor_email = actor_user.email if actor_user else ""
    actor_role = actor_user.role if actor_user else ""
    request_id, client_ip = current_request_id(), current_client_ip()
    rows_insert(
        AuditEntry,
        _COLUMNS,
        [
            (
                now,
                actor_id,
                actor_email,
                actor_role,
                row.action,
                row.outcome,
                row.object_type,
                str(row.object_id),
                row.customer_id,
                audit_changes_safe({**row.changes, **clock.audit_stamp()}),
                scrub_text(row.message),
                request_id,
                client_ip,
                None,  # seq, prev_hash and hash: set when the sealer chains the entry
                None,
                None,
            )
            for row in rows
        ],
        returning=False,
    )
