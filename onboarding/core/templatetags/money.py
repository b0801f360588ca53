"""{{ amount|money:customer.country }}: money as the customer's locale writes it (Babel).

The argument is the customer's country (a django-countries Country or an ISO alpha-2 code, empty
for unknown); core.money.locale_for turns it into the locale. Anything but Money is shown as is.
"""

from django import template

from onboarding.core.money import Money, locale_for, money_for_reader

register = template.Library()


@register.filter
def money(value, country="") -> str:
    if not isinstance(value, Money):
        return value
    code = getattr(country, "code", country) or ""
    return value.format(locale=locale_for(country=str(code)))


@register.filter
def money_text(value, country="") -> str:
    """Money on a staff page: English keeps the plain "118.80 EUR" staff always read (and the
    tests pin); another language reads it as that language writes money for the customer's
    country ("118,80 €" in German)."""
    if not isinstance(value, Money):
        return value
    return money_for_reader(value, country=str(getattr(country, "code", country) or ""))
