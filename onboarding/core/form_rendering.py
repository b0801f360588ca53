"""Widgets rendered without a template per widget, for the forms that opt in.

Django renders every widget through its own small templates (an input includes attrs.html; a
radio list includes one template per option): on the customer's profile page that was a third of
the page's CPU. QUICK_RENDERER builds the same markup, byte for byte, with string joins for the
templates whose whole logic is below (inputs of every type, radio and checkbox lists).

Everything else is the form renderer in use (settings.FORM_RENDERER unless one is given): its
form, formset and field template names, every other template (selects, textareas, error lists,
whole-form layouts, a form's own `template_name`), and the quick templates themselves whenever
the output could differ from what they print here:
- the renderer finds another file under a quick template's name (a project or app overriding
  django/forms/widgets/...), or its engine prints differently (not Django's template language,
  autoescape off, a `string_if_invalid`), or the renderer renders in its own way;
- a widget's context lacks what the template reads, or a list's option uses another template.
tests/core/test_form_rendering.py holds the two outputs equal for every customer form, unbound and
with errors, and holds each of these cases to the renderer's own output.

A form opts in with `default_renderer = QUICK_RENDERER`.
"""

import weakref
from collections.abc import Callable
from pathlib import Path

import django.forms
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.template import TemplateDoesNotExist
from django.template.backends.django import Template as DjangoTemplate
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

_WIDGETS = "django/forms/widgets/"
# Django's own copies of the templates built below: only their output is reproduced.
_DJANGO_TEMPLATES = Path(django.forms.__file__).resolve().parent / "templates"

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
# How many template files an option's template nests, each adding its closing newline when it
# is included: radio_option.html includes input_option.html.
_OPTION_DEPTH = {
    f"{_WIDGETS}input_option.html": 1,
    f"{_WIDGETS}radio_option.html": 2,
    f"{_WIDGETS}checkbox_option.html": 2,
}
# Every template whose output is reproduced here, the included ones too.
_REPRODUCED = (
    _INPUT_TEMPLATES | _MULTIPLE_TEMPLATES | set(_OPTION_DEPTH) | {f"{_WIDGETS}attrs.html"}
)
# What the templates read from a widget's context.
_INPUT_KEYS = frozenset({"type", "name", "value", "attrs"})
_MULTIPLE_KEYS = frozenset({"attrs", "optgroups"})


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


def _input(widget: dict) -> str | None:
    """django/forms/widgets/input.html, without the file's closing newline."""
    if not widget.keys() >= _INPUT_KEYS:
        return None
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _option(widget: dict) -> str | None:
    """django/forms/widgets/input_option.html, without its closing newline. It includes
    input.html, whose closing newline stays in the output (only the outermost is stripped)."""
    tag = _input(widget)
    if tag is None:
        return None
    tag += "\n"
    if not widget.get("wrap_label"):
        return tag
    option_id = widget["attrs"].get("id")
    label_for = f' for="{_text(option_id)}"' if option_id else ""
    return f"<label{label_for}>{tag} {_text(widget.get('label', ''))}</label>"


def _outer_option(widget: dict) -> str | None:
    """An option's template rendered on its own (BoundWidget.tag()): the renderer strips it."""
    html = _option(widget)
    return None if html is None else html.strip()


def _included_option(option: dict) -> str | None:
    """An option's template as multiple_input.html includes it, its files' newlines kept."""
    depth = _OPTION_DEPTH.get(option.get("template_name"))
    html = _option(option) if depth is not None else None
    return None if html is None else html + "\n" * depth


def _multiple(widget: dict) -> str | None:
    """django/forms/widgets/multiple_input.html (RadioSelect, CheckboxSelectMultiple)."""
    if not widget.keys() >= _MULTIPLE_KEYS:
        return None
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
            html = _included_option(option)
            if html is None:
                return None
            parts.append(f"<div>\n    {html}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


_BUILDERS: dict[str, Callable[[dict], str | None]] = {
    **dict.fromkeys(_INPUT_TEMPLATES, _input),
    **dict.fromkeys(_OPTION_DEPTH, _outer_option),
    **dict.fromkeys(_MULTIPLE_TEMPLATES, _multiple),
}


def _is_djangos_own(renderer: BaseRenderer, template_name: str) -> bool:
    """Whether `renderer` prints `template_name` from Django's own file, with an engine that
    prints `{{ }}` and `{% %}` as the builders above assume."""
    try:
        template = renderer.get_template(template_name)
    except TemplateDoesNotExist:
        return False
    if not isinstance(template, DjangoTemplate):
        return False
    engine = template.template.engine
    if not engine.autoescape or engine.string_if_invalid:
        return False
    origin = Path(template.origin.name).resolve()
    return origin.is_relative_to(_DJANGO_TEMPLATES)


def _reproducible(renderer: BaseRenderer) -> bool:
    """Whether the builders print what `renderer` prints for every template they replace."""
    renders_plainly = type(renderer).render is BaseRenderer.render
    return renders_plainly and all(_is_djangos_own(renderer, name) for name in _REPRODUCED)


class QuickWidgetRenderer(BaseRenderer):
    """A form renderer (`base`, else settings.FORM_RENDERER) with the widget templates above built
    without templates, wherever that prints exactly what it would."""

    def __init__(self, base: BaseRenderer | None = None):
        self._base = base
        # One answer per renderer: settings changes (tests) make a new default renderer.
        self._reproducible: weakref.WeakKeyDictionary[BaseRenderer, bool] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def base(self) -> BaseRenderer:
        return self._base if self._base is not None else get_default_renderer()

    # The template names a form, formset and field take from their renderer are the base's.
    @property
    def form_template_name(self) -> str:
        return self.base.form_template_name

    @property
    def formset_template_name(self) -> str:
        return self.base.formset_template_name

    @property
    def field_template_name(self) -> str:
        return self.base.field_template_name

    @property
    def bound_field_class(self):
        return getattr(self.base, "bound_field_class", None)

    def get_template(self, template_name):
        return self.base.get_template(template_name)

    def _builds_for(self, base: BaseRenderer) -> bool:
        verdict = self._reproducible.get(base)
        if verdict is None:
            verdict = self._reproducible[base] = _reproducible(base)
        return verdict

    def render(self, template_name, context, request=None) -> str:
        base = self.base
        build = _BUILDERS.get(template_name)
        widget = context.get("widget") if isinstance(context, dict) else None
        quick = build is not None and isinstance(widget, dict) and len(context) == 1
        if quick and self._builds_for(base):
            html = build(widget)
            if html is not None:
                return mark_safe(html)  # noqa: S308 (every value above is escaped)
        return base.render(template_name, context, request=request)


QUICK_RENDERER = QuickWidgetRenderer()
