"""Widgets rendered without a template per widget, for the customer's forms.

Django renders every widget through its own small templates (an input includes attrs.html; a
radio list includes one template per option): on the profile page that was a third of the page's
CPU. QUICK_RENDERER builds the same markup, byte for byte, with string joins for the templates
whose whole logic is below (inputs of every type, radio and checkbox lists); every other template
(selects, textareas, error lists, whole-form layouts) goes to the project's form renderer as
before. The widget still builds its own context (value, attrs, aria-describedby, required), so
only the template step is replaced. tests/accounts/test_form_rendering.py holds the two outputs
equal for every customer form, unbound and with errors.

A form opts in with `default_renderer = QUICK_RENDERER`. A project that overrides Django's widget
templates (FORM_RENDERER, templates/django/forms/widgets/) must not opt its forms in.
"""

from collections.abc import Callable

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

_WIDGETS = "django/forms/widgets/"
# Templates that are exactly `{% include "django/forms/widgets/input.html" %}`.
_INPUT_TEMPLATES = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
_MULTIPLE_TEMPLATES = frozenset(
    f"{_WIDGETS}{name}.html" for name in ("multiple_input", "radio", "checkbox_select")
)


def _text(value) -> str:
    """`{{ value }}` as the template engine prints it: localized, then escaped unless safe."""
    return conditional_escape(localize(template_localtime(value)))


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: "%s" of the value, still safe if the value was."""
    text = "%s" % (value,)  # noqa: UP031 (the filter's own formatting, tuples included)
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: in order; False left out, True bare, the rest quoted."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_text(name)}")
        if value is not True:
            parts.append(f'="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html, without the file's closing newline."""
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _option(widget: dict) -> str:
    """django/forms/widgets/input_option.html, without its closing newline. It includes
    input.html, whose closing newline stays in the output (only the outermost is stripped)."""
    tag = _input(widget) + "\n"
    if not widget.get("wrap_label"):
        return tag
    option_id = widget["attrs"].get("id")
    label_for = f' for="{_text(option_id)}"' if option_id else ""
    return f"<label{label_for}>{tag} {_text(widget['label'])}</label>"


# How many template files an option's template nests, each adding its closing newline when it
# is included: radio_option.html includes input_option.html.
_OPTION_DEPTH = {
    f"{_WIDGETS}input_option.html": 1,
    f"{_WIDGETS}radio_option.html": 2,
    f"{_WIDGETS}checkbox_option.html": 2,
}


def _multiple(widget: dict) -> str:
    """django/forms/widgets/multiple_input.html (RadioSelect, CheckboxSelectMultiple)."""
    attrs = widget["attrs"]
    element_id, css = attrs.get("id"), attrs.get("class")
    parts = ["<div"]
    if element_id:
        parts.append(f' id="{_text(element_id)}"')
    if css:
        parts.append(f' class="{_text(css)}"')
    parts.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            parts.append(f"<div>\n    {_included_option(option)}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _included_option(option: dict) -> str:
    depth = _OPTION_DEPTH.get(option["template_name"])
    if depth is None:
        context = {"widget": option}
        return get_default_renderer().get_template(option["template_name"]).render(context)
    return _option(option) + "\n" * depth


_BUILDERS: dict[str, Callable[[dict], str]] = {
    **dict.fromkeys(_INPUT_TEMPLATES, _input),
    **dict.fromkeys(_OPTION_DEPTH, lambda widget: _option(widget).strip()),
    **dict.fromkeys(_MULTIPLE_TEMPLATES, _multiple),
}


class QuickWidgetRenderer(BaseRenderer):
    """The project's form renderer, with the widget templates above built without templates."""

    def get_template(self, template_name):
        return get_default_renderer().get_template(template_name)

    def render(self, template_name, context, request=None) -> str:
        build = _BUILDERS.get(template_name)
        widget = context.get("widget") if isinstance(context, dict) else None
        if build is None or widget is None or len(context) != 1:
            return get_default_renderer().render(template_name, context, request=request)
        return mark_safe(build(widget))  # noqa: S308 (every value above is escaped)


QUICK_RENDERER = QuickWidgetRenderer()
