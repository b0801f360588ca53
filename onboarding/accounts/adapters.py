from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from onboarding.accounts.signup import SignupAdapterMixin
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record


class AccountAdapter(SignupAdapterMixin, DefaultAccountAdapter):
    """allauth's hooks, used to audit sign-ins: successes, failures and refusals."""

    def login(self, request: HttpRequest, user) -> None:
        super().login(request, user)  # rotates the session id (django.contrib.auth.login)
        audit_record(action="auth.login", actor=user, target=user)

    def logout(self, request: HttpRequest) -> None:
        user = request.user
        if user.is_authenticated:
            audit_record(action="auth.logout", actor=user, target=user)
        super().logout(request)

    def authentication_failed(self, request: HttpRequest, **credentials) -> None:
        super().authentication_failed(request, **credentials)
        # The address tried is kept so guessing against one account is visible; never the password.
        audit_record(
            action="auth.login_failed",
            outcome=Outcome.FAILURE,
            message=f"failed sign-in for {credentials.get('email', '')[:254]}",
        )
