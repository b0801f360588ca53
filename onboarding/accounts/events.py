"""The audit events of sign-in and access, one typed function each: nothing else writes them."""

from django.http import HttpRequest

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.core.access import RowHidden


def access_refused(*, actor, reason: str, object_type: str = "", object_id: str | int = "") -> None:
    """One "access.refused" entry: who, what, why (the request id comes along)."""
    audit_record(
        action="access.refused",
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        outcome=Outcome.REFUSED,
        message=reason[:500],
    )


def hidden_row_refused(request: HttpRequest, hidden: RowHidden) -> None:
    """Record a request for a row that exists but is not the user's (answered with a 404)."""
    access_refused(
        actor=getattr(request, "user", None),
        object_type=hidden.object_type,
        object_id=hidden.object_id,
        reason="not visible to this user",
    )
