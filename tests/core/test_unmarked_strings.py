"""The unmarked-string lint (manage.py check_unmarked_strings, in `make lint`): visible template
text outside translate tags, and literal user messages in listed Python modules, fail by
file:line; marked text, variables, tags, comments, scripts and links pass."""

import io

import pytest
from django.core.management import CommandError, call_command

from onboarding.core.unmarked import unmarked_in, unmarked_strings
from onboarding.core.unmarked_python import unmarked_in_python, unmarked_python_strings


def test_an_unmarked_text_node_fails_with_its_line():
    source = (
        '{% load i18n %}<main>\n  <h1>{% translate "Hello" %}</h1>\n  <p>Welcome back</p>\n</main>'
    )
    assert unmarked_in(source) == [(3, "Welcome back")]


def test_marked_text_and_a_variable_alone_pass():
    source = (
        "{% load i18n %}{# A note for developers #}\n"
        '<p>{% translate "Save" %}</p>\n'
        "<p>{{ customer.company }}</p>\n"
        "<p>{% blocktranslate trimmed with n=count %}\n  {{ n }} invoices\n"
        "{% plural %}many{% endblocktranslate %}</p>\n"
        "<p>{{ a }} · {{ b }} &middot; 42 &euro;</p>\n"
        "{% comment %}Not shown to anyone{% endcomment %}\n"
        "<script>const label = 'Not text';</script><style>.a::after{content:'x'}</style>"
    )
    assert unmarked_in(source) == []


def test_text_next_to_a_variable_is_still_text():
    assert unmarked_in("<p>{{ count }} items</p>") == [(1, "items")]


def test_seen_attributes_fail_and_others_pass():
    source = (
        '{% load i18n %}<input placeholder="Your name" name="full_name" class="wide">\n'
        '<img alt="{% translate \'Logo\' %}" src="x.png">\n'
        '<nav aria-label="Main menu"></nav>\n'
        '<a title="{{ link.title }}" href="/x">{% translate "Go" %}</a>'
    )
    assert unmarked_in(source) == [(1, "placeholder=Your name"), (3, "aria-label=Main menu")]


def test_a_text_template_checks_every_line_but_links_brand_and_tags():
    source = (
        "{% load i18n %}{% greeting customer %}\n\n"
        '{% translate "Paid on:" %} {{ paid_at }} UTC\n'
        "{{ site }}/account/contracts/{{ id }}/certificate/{{ n }}.pdf\n"
        "Onboarding\n"
        "Thanks for your order\n"
    )
    assert unmarked_in(source, plain_text=True) == [(6, "Thanks for your order")]


def test_the_lint_names_a_listed_file_and_line(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "ok.html").write_text('{% load i18n %}<p>{% translate "Hi" %}</p>')
    (tmp_path / "pages" / "bad.html").write_text("<p>\n\nUnmarked words</p>")
    problems = [str(p) for p in unmarked_strings(("pages", "gone.html"))]
    assert problems == [
        "pages/bad.html:3: not marked for translation: 'Unmarked words'",
        "gone.html:0: not marked for translation: '(listed in TRANSLATED_TEMPLATES, not found)'",
    ]


def test_python_messages_without_gettext_fail():
    source = (
        "from django.contrib import messages\n"
        "from django.utils.translation import gettext as _\n"
        "def view(request, contact):\n"
        "    messages.success(request, 'Contact added.')\n"
        "    messages.error(request, _('Choose one.'))\n"
        "    messages.info(request, f'{contact.name} removed.')\n"
        "    message = compute()\n"
        "    messages.warning(request, message)\n"
        "    raise ValidationError({'field': _('x')})\n"
        "def other():\n"
        "    raise Http404('No such page')\n"
        "def third():\n"
        "    raise DomainError(_('Refused {x}').format(x=1), field='x')\n"
        "def fourth():\n"
        "    raise DomainError('Refused {x}'.format(x=1), field='x')\n"
    )
    assert [line for line, _ in unmarked_in_python(source)] == [4, 6, 11, 15]


def test_the_project_passes_its_own_lint():
    assert unmarked_strings() == []
    assert unmarked_python_strings() == []
    call_command("check_unmarked_strings")


def test_the_command_fails_on_an_unmarked_string(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text("<p>Hello</p>")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="unmarked string"):
        call_command("check_unmarked_strings", stderr=errors)
    assert "templates/base.html:1: not marked for translation: 'Hello'" in errors.getvalue()


def test_a_failure_notices_message_without_gettext_fails():
    source = (
        "from django.utils.translation import gettext_lazy\n"
        "SAVED = FailureNotice('save_failed', gettext_lazy('Not saved.'))\n"
        "SENT = FailureNotice('send_failed', 'Not sent.')\n"
    )
    assert unmarked_in_python(source) == [(3, "'Not sent.'")]
