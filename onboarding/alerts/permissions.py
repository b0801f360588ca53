"""Who may change alerts and re-queue tasks: admins only. Other staff roles may look."""

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.core.errors import Forbidden
from onboarding.core.roles import Role


def is_admin(user) -> bool:
    return user is not None and user.is_authenticated and user.has_role(Role.ADMIN)


def require_admin(actor, *, action: str, object_type: str = "", object_id: str = "") -> None:
    """Refuse (and audit the refusal) unless `actor` is an active admin."""
    if is_admin(actor):
        return
    audit_record(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        outcome=Outcome.REFUSED,
        message="only an admin may do this",
    )
    raise Forbidden("Only an admin may do this.")
