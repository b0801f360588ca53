"""{% greeting user %}: an email's first line, "Hello Ada Lovelace," or just "Hello,"."""

from django import template
from django.utils.translation import gettext as _

from onboarding.accounts.models import Customer, User
from onboarding.accounts.selectors import greeting_name_of

register = template.Library()


@register.simple_tag
def greeting(person: User | Customer) -> str:
    """The greeting for a user or a customer's account holder (escaped as the template is)."""
    user = person.user if isinstance(person, Customer) else person
    name = greeting_name_of(user=user)
    # In the language being written (notification_send's translation.override).
    return _("Hello %(name)s,") % {"name": name} if name else _("Hello,")
