"""Who may change alerts and re-queue tasks: admins only. Other staff roles may look."""

from typing import Protocol

from django.utils.translation import gettext

from onboarding.core.errors import Forbidden
from onboarding.core.roles import Role


class RefusalEvent(Protocol):
    """The audit event that records a refused admin-only move (an app's events module)."""

    def __call__(self, *, actor, object_id: str) -> None: ...


def is_admin(user) -> bool:
    return user is not None and user.is_authenticated and user.has_role(Role.ADMIN)


def require_admin(actor, *, refused: RefusalEvent, object_id: str = "") -> None:
    """Refuse unless `actor` is an active admin, recording the refusal with `refused` first."""
    if is_admin(actor):
        return
    refused(actor=actor, object_id=object_id)
    raise Forbidden(gettext("Only an admin may do this."))
