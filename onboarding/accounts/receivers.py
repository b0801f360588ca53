"""Audit entries for second-factor events, which allauth announces only through its signals.

Security logging, not business flow: connected once in AccountsConfig.ready().
"""

from allauth.mfa import signals as mfa_signals

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record


def _mfa_failed(sender, request, user, authenticator, **kwargs) -> None:
    audit_record(
        action="auth.mfa_failed",
        actor=user,
        target=user,
        outcome=Outcome.FAILURE,
        message=f"wrong {authenticator.type} code",
    )


def _authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    audit_record(
        action="auth.mfa_added", actor=user, target=user, message=f"{authenticator.type} added"
    )


def _authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    audit_record(
        action="auth.mfa_removed",
        actor=user,
        target=user,
        message=f"{authenticator.type} removed",
    )


def connect() -> None:
    mfa_signals.authentication_failed.connect(_mfa_failed, dispatch_uid="audit_mfa_failed")
    mfa_signals.authenticator_added.connect(_authenticator_added, dispatch_uid="audit_mfa_added")
    mfa_signals.authenticator_removed.connect(
        _authenticator_removed, dispatch_uid="audit_mfa_removed"
    )
