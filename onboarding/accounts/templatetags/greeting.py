"""{% greeting user %}: an email's first line, "Hello Ada Lovelace," or just "Hello,"."""

from django import template

from onboarding.accounts.models import Customer, User
from onboarding.accounts.selectors import greeting_name_of

register = template.Library()


@register.simple_tag
def greeting(person: User | Customer) -> str:
    """The greeting for a user or a customer's account holder (escaped as the template is)."""
    user = person.user if isinstance(person, Customer) else person
    name = greeting_name_of(user=user)
    return f"Hello {name}," if name else "Hello,"
