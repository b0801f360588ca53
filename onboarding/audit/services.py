from typing import Any

from django.db import models
from django.utils import timezone

from onboarding.audit.models import AuditEntry, Outcome
from onboarding.core.context import current_client_ip, current_request_id


def audit_record(
    *,
    action: str,
    actor=None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    customer_id: int | None = None,
    changes: dict[str, Any] | None = None,
    outcome: str = Outcome.SUCCESS,
    message: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the transaction of the change it records."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk
    actor_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        occurred_at=timezone.now(),
        actor=actor_user,
        actor_email=actor_user.email if actor_user else "",
        actor_role=actor_user.role if actor_user else "",
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id),
        customer_id=customer_id,
        changes=changes or {},
        message=message,
        request_id=current_request_id(),
        client_ip=current_client_ip(),
    )
