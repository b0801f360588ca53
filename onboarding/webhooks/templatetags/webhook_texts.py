"""{{ attempt.error|guard_text }}: a stored URL-guard refusal in the reader's language."""

from django import template

from onboarding.webhooks.guard_texts import guard_text as _guard_text

register = template.Library()


@register.filter
def guard_text(value) -> str:
    return _guard_text(str(value or ""))
