"""{{ form|error_summary }}: what a form's error summary lists (includes/error_summary.html).

On a phone the first field error of a long form is often below the screen; the summary at the
top of the form counts the problems and links each one to its field, so nobody has to scroll
through the form to find what to fix. Errors that belong to no field (or to a hidden field,
which has nothing to link to) are listed as they are.
"""

from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class Problem:
    messages: list[str]
    label: str = ""  # the field's label; empty for an error of the whole form
    anchor: str = ""  # the id of the control to go to; empty for an error of the whole form


@register.filter
def error_summary(form) -> list[Problem]:
    """The form's problems in the order they appear on the page: the form's own errors (and
    hidden fields'), then one per visible field with errors. Empty for anything but a bound
    form with errors."""
    if not isinstance(form, forms.BaseForm) or not form.is_bound or not form.errors:
        return []
    problems = [Problem(messages=[str(e)]) for e in form.non_field_errors()]
    problems += [Problem(messages=[str(e)]) for f in form.hidden_fields() for e in f.errors]
    for field in form.visible_fields():
        if field.errors:
            problems.append(
                Problem(
                    messages=[str(e) for e in field.errors],
                    label=str(field.label or field.name),
                    anchor=_anchor(field),
                )
            )
    return problems


def _anchor(field: forms.BoundField) -> str:
    """The id of the control a link to this field should land on: for a list of radio buttons
    or checkboxes (whose label names no single control), its first option."""
    return field.id_for_label or field.field.widget.id_for_label(field.auto_id or "", "0") or ""
