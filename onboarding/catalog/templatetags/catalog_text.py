"""The catalogue's prose in the reader's language (catalog/translations.py):

    {% load catalog_text %}
    {{ plan|localized:"summary" }}
    {% for line in plan|localized_lines:"includes" %}...{% endfor %}
    {{ subscription.plan|localized:"unit_name_plural" }}

The active language is the page's or the email's; a text missing in it is English."""

from django import template

from onboarding.catalog.translations import lines_of

register = template.Library()


@register.filter
def localized(row, field: str) -> str:
    """A Product's or Plan's translated `field` in the active language ("" for no row)."""
    if row is None or row == "":
        return ""
    return row.text(field)


@register.filter
def localized_lines(row, field: str) -> list[str]:
    """The same, one item per line (a plan's "includes")."""
    if row is None or row == "":
        return []
    return lines_of(row.text(field))
