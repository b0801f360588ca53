"""allauth hooks for sign-up and account mail (mixed into portal.adapters.PortalAccountAdapter).

- A new customer account gets its customer record and onboarding journey at once ("Log creation").
- allauth's mail (verification, password reset, "your password changed") goes through the
  transactional outbox like every other message: a mail server that is down delays it, the
  relay retries, and sign-up itself never fails because of mail.
- A sign-up with an address that already has an account gets the same answer as a new one
  (allauth's ACCOUNT_PREVENT_ENUMERATION: "check your email"), and takes as long: it hashes a
  password too, as creating the account would.
- A buyer who chose a plan before having an account (billing.intent) continues to that plan's
  buy page after signing up, verifying the address and signing in; the verification link
  carries the plan too, so it works in a browser that never saw the sign-up.
"""

import uuid
from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from allauth.core import context
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import get_random_string

from onboarding.accounts.language import browser_language
from onboarding.accounts.models import User
from onboarding.accounts.services import customer_create
from onboarding.billing import intent as purchase_intent
from onboarding.core.redirects import safe_next_url
from onboarding.core.roles import Role
from onboarding.notifications.services import notification_send, recipient_language


def _user_for_address(email: str) -> User | None:
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address is not None:
        return address.user
    return User.objects.filter(email__iexact=email).first()


class SignupAdapterMixin:
    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit and user.role == Role.CUSTOMER:
                chosen_language = getattr(form, "cleaned_data", {}).get("language")
                customer_create(user=user, language=chosen_language or browser_language(request))
        chosen = purchase_intent.intent_of(request)
        if chosen is not None:
            purchase_intent.remember(request, chosen)
        return user

    def respond_email_verification_sent(
        self, request: HttpRequest, user: User | None
    ) -> HttpResponseBase:
        if user is None:
            # allauth's answer to a sign-up whose address already has an account: no account is
            # made, so no password is hashed, and without this the answer came 0.5-1 s sooner
            # than a new account's (Argon2 is most of a sign-up's time). Hash one as a new
            # account would, with the configured hasher, whether or not the mail went out.
            make_password(get_random_string(32))
        return super().respond_email_verification_sent(request, user)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        recipient = _user_for_address(email)
        if recipient is None:
            # No account behind the address (allauth's "unknown account" notices): send directly.
            super().send_mail(template_prefix, email, context)
            return
        # In the account holder's language (a customer's profile), not the page's: a password
        # reset asked for from a browser in another language still reaches them in theirs.
        with translation.override(recipient_language(recipient)):
            message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        with transaction.atomic():
            notification_send(
                recipient=recipient,
                kind=f"account.{template_prefix.rsplit('/', 1)[-1]}",
                subject=message.subject,
                template="accounts/email/prerendered",
                context={"text": message.body, "html": html},
                dedupe_key=f"account-mail:{uuid.uuid4().hex}",
                channels=["email"],
                to_email=email,
            )


def _customer_intent(request: HttpRequest) -> purchase_intent.PurchaseIntent | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.role != Role.CUSTOMER:
        return None  # staff buy nothing; a plan left in the session does not steer them
    return purchase_intent.intent_of(request)


class PurchaseIntentAdapterMixin:
    """Where allauth sends a buyer next: to the plan they chose, whenever no explicit `next`
    says otherwise; an explicit `next` is checked by the product's one rule (core.redirects)."""

    def is_safe_url(self, url: str | None) -> bool:
        return bool(url) and safe_next_url(context.request, url) == url

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        chosen = _customer_intent(request)
        return chosen.buy_url if chosen else super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        chosen = _customer_intent(request)
        return chosen.buy_url if chosen else super().get_signup_redirect_url(request)

    def get_email_verification_redirect_url(self, email_address: EmailAddress) -> str:
        chosen = _customer_intent(self.request)
        if chosen is None:
            return super().get_email_verification_redirect_url(email_address)
        if self.request.user.is_authenticated:
            return chosen.buy_url
        return reverse("account_login") + chosen.next_query()

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation) -> str:
        url = super().get_email_confirmation_url(request, emailconfirmation)
        chosen = purchase_intent.intent_of(request)
        if chosen is None:
            return url
        # The same browser resumes the sign-up and goes to the plan by itself; a fresh one has
        # nobody signed in, so the link's `next` is the sign-in page, which then continues.
        return f"{url}?{urlencode({'next': reverse('account_login') + chosen.next_query()})}"
