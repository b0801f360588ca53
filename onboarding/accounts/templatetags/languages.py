"""{% offered_languages user as languages %}: what the footer's language switcher offers."""

from django import template

from onboarding.accounts import language

register = template.Library()


@register.simple_tag
def offered_languages(user) -> list[tuple[str, str]]:
    """The console's languages to staff, the site's to customers and visitors. A page rendered
    without a request has no `user` (the template engine gives "" for it): a visitor's."""
    return language.offered_languages(user or None)
