"""{{ amount|money:customer.country }}: money as the customer's locale writes it (Babel).

The argument is the customer's country (a django-countries Country or an ISO alpha-2 code, empty
for unknown); core.money.locale_for turns it into the locale. Anything but Money is shown as is.
"""

from django import template

from onboarding.core.money import Money, locale_for

register = template.Library()


@register.filter
def money(value, country="") -> str:
    if not isinstance(value, Money):
        return value
    code = getattr(country, "code", country) or ""
    return value.format(locale=locale_for(country=str(code)))
