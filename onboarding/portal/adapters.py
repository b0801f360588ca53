"""The allauth adapter (settings.ACCOUNT_ADAPTER): the account-level hooks and the portal's.

The mixins are listed in the order their methods must resolve: AccountMailMixin.send_mail adds
the product's name and address to the context before SignupAdapterMixin.send_mail renders the
mail into the outbox. DefaultAccountAdapter comes last, as every mixin's super() ends there.
"""

from allauth.account.adapter import DefaultAccountAdapter

from onboarding.accounts.adapters import SignInAdapterMixin
from onboarding.accounts.mail import AccountMailMixin
from onboarding.portal.signup import PurchaseIntentAdapterMixin, SignupAdapterMixin


class PortalAccountAdapter(
    SignInAdapterMixin,
    AccountMailMixin,
    SignupAdapterMixin,
    PurchaseIntentAdapterMixin,
    DefaultAccountAdapter,
):
    pass
