"""allauth hooks for sign-up and account mail (mixed into accounts.adapters.AccountAdapter).

- A new customer account gets its customer record and onboarding journey at once ("Log creation").
- allauth's mail (verification, password reset, "your password changed") goes through the
  transactional outbox like every other message: a mail server that is down delays it, the
  relay retries, and sign-up itself never fails because of mail.
"""

import uuid

from allauth.account.models import EmailAddress
from django.db import transaction
from django.http import HttpRequest

from onboarding.accounts.models import User
from onboarding.accounts.roles import Role
from onboarding.accounts.services import customer_create
from onboarding.notifications.services import notification_send


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
                customer_create(user=user)
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        recipient = _user_for_address(email)
        if recipient is None:
            # No account behind the address (allauth's "unknown account" notices): send directly.
            super().send_mail(template_prefix, email, context)
            return
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
