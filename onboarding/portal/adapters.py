"""The allauth adapter (settings.ACCOUNT_ADAPTER): the account-level hooks and the portal's.

The mixins are listed in the order their methods must resolve: AccountMailMixin.send_mail adds
the product's name and address to the context before SignupAdapterMixin.send_mail renders the
mail into the outbox. RoleHomeAdapterMixin answers where to go after signing in only when the
purchase intent has no plan to send the buyer to. DefaultAccountAdapter comes last, as every
mixin's super() ends there.
"""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from onboarding.accounts.adapters import SignInAdapterMixin
from onboarding.accounts.mail import AccountMailMixin
from onboarding.core.roles import STAFF_ROLES
from onboarding.portal.signup import PurchaseIntentAdapterMixin, SignupAdapterMixin


class RoleHomeAdapterMixin:
    """After signing in, each person starts on their own home: a customer on their account, staff
    on the staff console. A safe `next` is followed before the adapter is asked (allauth)."""

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return super().get_login_redirect_url(request)
        return reverse("staff:home" if user.role in STAFF_ROLES else "accounts:home")


class PortalAccountAdapter(
    SignInAdapterMixin,
    AccountMailMixin,
    SignupAdapterMixin,
    PurchaseIntentAdapterMixin,
    RoleHomeAdapterMixin,
    DefaultAccountAdapter,
):
    pass
