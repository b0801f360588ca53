"""What the email-confirmation pages need to tell a person where they stand: whether a link that
no longer works was for an address already confirmed, whether the sign-up this tab waits on was
confirmed elsewhere, and the address that answers for support."""

from email.utils import parseaddr

from django import template
from django.conf import settings

from onboarding.accounts.selectors import (
    email_confirmation_key_confirmed,
    pending_signup_confirmed,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def confirmation_link_already_used(context) -> bool:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    key = (match.kwargs.get("key") if match else None) or ""
    return bool(key) and email_confirmation_key_confirmed(key=key)


@register.simple_tag(takes_context=True)
def signup_confirmed_elsewhere(context) -> bool:
    request = context.get("request")
    return request is not None and pending_signup_confirmed(request=request)


@register.simple_tag
def support_email() -> str:
    """The product's own address (DEFAULT_FROM_EMAIL, "Name <address>"): replies reach us."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
