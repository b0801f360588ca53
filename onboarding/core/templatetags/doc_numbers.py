"""{{ text|doc_numbers }}: a sentence whose document numbers stay whole when it wraps.

A reference such as REQ-000013 or INV-2026-000005 is one word to the reader, but a browser may
break a line at its hyphen; on a phone "REQ-" then ends one line and "000013" starts the next.
The filter escapes the text and wraps each reference in <span class="doc-number"> (app.css keeps
it on one line, moving it to the next line instead).
"""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Three capital letters, then groups of digits joined by hyphens: REQ-000013, CTR-2026-701000.
DOC_NUMBER = re.compile(r"\b[A-Z]{3}(?:-\d+)+\b")


@register.filter
def doc_numbers(text: object) -> SafeString:
    escaped = escape("" if text is None else str(text))
    return mark_safe(  # noqa: S308 - the text is escaped above; only our own span is added
        DOC_NUMBER.sub(lambda m: f'<span class="doc-number">{m.group(0)}</span>', escaped)
    )
