"""{{ clock.stop_reason|stop_reason }}: a recorded stop reason in the reader's language."""

from django import template

from onboarding.acceptance.clock_texts import stop_reason_shown

register = template.Library()


@register.filter
def stop_reason(value) -> str:
    return stop_reason_shown(str(value or ""))
