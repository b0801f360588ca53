"""allauth's account-level hooks: audit every sign-in, failure, throttle and sign-out; one client
address. portal.adapters.PortalAccountAdapter composes them with the mail and sign-up hooks."""

import time

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from onboarding.accounts import events
from onboarding.accounts.middleware import LAST_SEEN_KEY, STARTED_KEY
from onboarding.core.middleware import client_ip_of


def _attempted_login(credentials: dict) -> str:
    # The address tried is kept so guessing against one account is visible; never the password.
    return str(credentials.get("email") or credentials.get("username") or "")[:254]


class SignInAdapterMixin:
    def login(self, request: HttpRequest, user) -> None:
        super().login(request, user)  # django.contrib.auth.login: a new session id
        now = time.time()
        # The staff session clocks start at the real sign-in, not at the first staff page.
        request.session[STARTED_KEY] = now
        request.session[LAST_SEEN_KEY] = now
        events.signed_in(user=user)

    def logout(self, request: HttpRequest) -> None:
        user = request.user  # taken first: logging out sets request.user to the anonymous user
        super().logout(request)  # flushes the session row, so its id signs nobody in again
        # Audited once it is done: a sign-out that failed (and was reported) must not read as one.
        if user.is_authenticated:
            events.signed_out(user=user)

    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            # allauth refuses before checking the password: too many recent failures for this
            # address or from this client (ACCOUNT_RATE_LIMITS["login_failed"]).
            events.login_throttled(
                message=f"too many failed sign-ins for {_attempted_login(credentials)}"
            )
            raise

    def authentication_failed(self, request: HttpRequest, **credentials) -> None:
        super().authentication_failed(request, **credentials)
        events.login_failed(attempted_login=_attempted_login(credentials))

    def respond_user_inactive(self, request: HttpRequest, user) -> HttpResponse:
        # The password was right but the account is switched off: refused, and recorded as such.
        events.login_refused(user=user)
        return super().respond_user_inactive(request, user)

    def get_client_ip(self, request: HttpRequest) -> str:
        # Rate limits count per client address: the same address the audit log records.
        return client_ip_of(request) or super().get_client_ip(request)
