"""{{ clock.kind|clock_in_sentence }}: an SLA clock's name inside a sentence ("the missed first
response deadline"): lower case in English and French, a noun's capital in German, which
lower-casing the clock's label would lose."""

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

CLOCK_IN_SENTENCE = {
    "first_response": pgettext_lazy("SLA clock named in a sentence", "first response"),
    "resolution": pgettext_lazy("SLA clock named in a sentence", "resolution"),
}


@register.filter
def clock_in_sentence(kind) -> str:
    return CLOCK_IN_SENTENCE.get(str(kind), str(kind))
