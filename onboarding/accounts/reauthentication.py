"""The password again, before a change that would let a stolen session keep the account: email
addresses, the password, the second factor and the card.

Pages use allauth's reauthentication. Its email and second-factor views ask by themselves
(ACCOUNT_REAUTHENTICATION_REQUIRED, MFA's default); our pages ask through
`reauthentication_redirect` when `recently_reauthenticated` is false. The password change asks
for the current password in its own form. The API cannot show a page, so it takes the password
in the request and checks it with `password_confirm`, exactly as the reauthentication page does.

Every confirmation is throttled per user (ACCOUNT_RATE_LIMITS: "reauthenticate" for the page and
the API together, "change_password" for the password change), and every wrong password is
audited as auth.password_confirmation_failed, so guessing with a stolen session is slow and seen.
"""

from allauth.account.adapter import get_adapter
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import ReauthenticateForm as AllauthReauthenticateForm

# allauth keeps this check internal; its decorator would replay a suspended POST from the
# session, and the card page's POST holds a card number, so our pages ask before the form.
from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from allauth.core import ratelimit
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.events import password_confirmation_failed, password_confirmation_throttled
from onboarding.accounts.models import User
from onboarding.core.errors import DomainError
from onboarding.core.redirects import safe_next_url

THROTTLE_ACTION = "reauthenticate"  # allauth's bucket for its reauthentication page
TOO_MANY = gettext_lazy("Too many password attempts. Wait a minute, then try again.")


class TooManyConfirmations(DomainError):
    status_code = 429
    code = "too_many_attempts"


def _throttled(*, user: User, purpose: str) -> TooManyConfirmations:
    password_confirmation_throttled(user=user, purpose=purpose)
    return TooManyConfirmations(str(TOO_MANY), field="password")


def password_confirm(*, request: HttpRequest, user: User, password: str, purpose: str) -> None:
    """Check `user`'s password for an API change; raise TooManyConfirmations (429) past the
    per-user limit, or DomainError on a wrong password (audited)."""
    if not ratelimit.consume(request, action=THROTTLE_ACTION, user=user):
        raise _throttled(user=user, purpose=purpose)
    try:
        # The sign-in check too: its throttle per address and its audit of failures.
        confirmed = get_adapter(request).reauthenticate(user, password)
    except ValidationError as too_many_failures:
        raise _throttled(user=user, purpose=purpose) from too_many_failures
    if not confirmed:
        password_confirmation_failed(user=user, purpose=purpose)
        raise DomainError(gettext("That is not your current password."), field="password")


def recently_reauthenticated(request: HttpRequest) -> bool:
    """The password (or second factor) was asked again in this session, within
    ACCOUNT_REAUTHENTICATION_TIMEOUT. Signing in is not enough: a stolen cookie skips it."""
    return did_recently_reauthenticate(request)


def reauthentication_redirect(request: HttpRequest, *, then: str) -> HttpResponseRedirect:
    """To allauth's reauthentication page, which comes back to `then` (a local path)."""
    methods = get_adapter(request).get_reauthentication_methods(request.user)
    url = methods[0]["url"] if methods else reverse("account_reauthenticate")
    back = safe_next_url(request, then, reverse("accounts:home"))
    return HttpResponseRedirect(f"{url}?{urlencode({'next': back})}")


class ReauthenticateForm(AllauthReauthenticateForm):
    """allauth's reauthentication form, with each wrong password audited."""

    def clean_password(self) -> str:
        try:
            return super().clean_password()
        except ValidationError as refusal:
            # "too_many_login_attempts" is the sign-in throttle, audited by the adapter itself.
            if refusal.code == "incorrect_password":
                password_confirmation_failed(user=self.user, purpose="confirm a sensitive change")
            raise


class ChangePasswordForm(AllauthChangePasswordForm):
    """allauth's password change, with each wrong current password audited."""

    def clean_oldpassword(self) -> str:
        try:
            return super().clean_oldpassword()
        except ValidationError:
            password_confirmation_failed(user=self.user, purpose="change the password")
            raise
