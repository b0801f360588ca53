"""Audit entries for second-factor events, which allauth announces only through its signals.

Security logging, not business flow: connected once in AccountsConfig.ready().
"""

from allauth.mfa import signals as mfa_signals

from onboarding.accounts import events


def _mfa_failed(sender, request, user, authenticator, **kwargs) -> None:
    events.mfa_failed(user=user, authenticator_type=authenticator.type)


def _authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    events.mfa_added(user=user, authenticator_type=authenticator.type)


def _authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    events.mfa_removed(user=user, authenticator_type=authenticator.type)


def connect() -> None:
    mfa_signals.authentication_failed.connect(_mfa_failed, dispatch_uid="audit_mfa_failed")
    mfa_signals.authenticator_added.connect(_authenticator_added, dispatch_uid="audit_mfa_added")
    mfa_signals.authenticator_removed.connect(
        _authenticator_removed, dispatch_uid="audit_mfa_removed"
    )
