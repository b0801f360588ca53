"""The audit events of sign-in, access, staff users and the customer record, one typed function
each: nothing else writes them."""

from typing import Any

from django.http import HttpRequest

from onboarding.accounts.models import Contact, Customer, User
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.core.access import RowHidden
from onboarding.core.roles import Role

# --- Access ------------------------------------------------------------------------------------


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


# --- Sign-in and sessions ----------------------------------------------------------------------


def signed_in(*, user: User) -> None:
    """A sign-in completed. A customer's carries its customer id: the health score's engagement
    factor (time since the last sign-in) follows it (docs/health.md, "Triggers")."""
    customer_id = None
    if user.role == Role.CUSTOMER and Customer.objects.filter(pk=user.pk).exists():
        customer_id = user.pk  # the customer's id is its user's id
    audit_record(action="auth.login", actor=user, target=user, customer_id=customer_id)


def signed_out(*, user: User) -> None:
    audit_record(action="auth.logout", actor=user, target=user)


def login_failed(*, attempted_login: str) -> None:
    """A wrong password for `attempted_login` (the address tried, never the password)."""
    audit_record(
        action="auth.login_failed",
        outcome=Outcome.FAILURE,
        message=f"failed sign-in for {attempted_login}",
    )


def login_throttled(*, message: str) -> None:
    """A sign-in refused before the password was checked: too many recent failures."""
    audit_record(action="auth.login_throttled", outcome=Outcome.REFUSED, message=message)


def login_refused(*, user: User) -> None:
    """The password was right but the account is switched off."""
    audit_record(
        action="auth.login_refused",
        actor=user,
        target=user,
        outcome=Outcome.REFUSED,
        message="sign-in to a deactivated account",
    )


def rate_limited(*, message: str) -> None:
    """A request other than the sign-in refused by a rate limit."""
    audit_record(action="auth.rate_limited", outcome=Outcome.REFUSED, message=message)


def session_expired(*, user: User, reason: str) -> None:
    audit_record(action="auth.session_expired", actor=user, target=user, message=reason)


# --- Second factor -----------------------------------------------------------------------------


def mfa_failed(*, user: User, authenticator_type: str) -> None:
    audit_record(
        action="auth.mfa_failed",
        actor=user,
        target=user,
        outcome=Outcome.FAILURE,
        message=f"wrong {authenticator_type} code",
    )


def mfa_added(*, user: User, authenticator_type: str) -> None:
    audit_record(
        action="auth.mfa_added", actor=user, target=user, message=f"{authenticator_type} added"
    )


def mfa_removed(*, user: User, authenticator_type: str) -> None:
    audit_record(
        action="auth.mfa_removed", actor=user, target=user, message=f"{authenticator_type} removed"
    )


# --- Password confirmation (reauthentication) --------------------------------------------------


def password_confirmation_failed(*, user: User, purpose: str) -> None:
    audit_record(
        action="auth.password_confirmation_failed",
        actor=user,
        target=user,
        outcome=Outcome.FAILURE,
        message=f"wrong password to {purpose}",
    )


def password_confirmation_throttled(*, user: User, purpose: str) -> None:
    audit_record(
        action="auth.password_confirmation_throttled",
        actor=user,
        target=user,
        outcome=Outcome.REFUSED,
        message=f"too many password confirmations to {purpose}",
    )


# --- Users (the admin site) --------------------------------------------------------------------


def user_created(*, actor, user: User, changes: dict[str, Any]) -> None:
    audit_record(action="accounts.user_created", actor=actor, target=user, changes=changes)


def user_updated(*, actor, user: User, changes: dict[str, Any]) -> None:
    audit_record(action="accounts.user_updated", actor=actor, target=user, changes=changes)


# --- The customer record -----------------------------------------------------------------------


def customer_created(*, actor: User, customer: Customer) -> None:
    audit_record(action="customer.created", actor=actor, target=customer, customer_id=customer.pk)


def customer_profile_updated(
    *, actor: User, customer: Customer, changes: dict[str, list[Any]]
) -> None:
    audit_record(
        action="customer.profile_updated",
        actor=actor,
        target=customer,
        customer_id=customer.pk,
        changes=changes,
    )


def customer_currency_fixed(*, actor: User, customer: Customer) -> None:
    audit_record(
        action="customer.currency_fixed",
        actor=actor,
        target=customer,
        customer_id=customer.pk,
        changes={"currency": ["", customer.currency]},
    )


def contact_added(*, actor: User, contact: Contact, changes: dict[str, list[Any]]) -> None:
    audit_record(
        action="customer.contact_added",
        actor=actor,
        target=contact,
        customer_id=contact.customer_id,
        changes=changes,
    )


def contact_updated(*, actor: User, contact: Contact, changes: dict[str, list[Any]]) -> None:
    audit_record(
        action="customer.contact_updated",
        actor=actor,
        target=contact,
        customer_id=contact.customer_id,
        changes=changes,
    )


def contact_removed(*, actor: User, contact: Contact, changes: dict[str, list[Any]]) -> None:
    """The row is gone: the entry names it by type and id."""
    audit_record(
        action="customer.contact_removed",
        actor=actor,
        object_type="accounts.contact",
        object_id=contact.pk,
        customer_id=contact.customer_id,
        changes=changes,
    )
