"""Every form error sits under its own field; errors of no field at the top of the form, in its
error summary."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def field_blocks(html: str) -> dict[str, str]:
    """Each field's block of the page (label, control, help, errors), by field name."""
    starts = [
        (m.start(), m.group(1))
        for m in re.finditer(r'<div class="field[^"]*" data-field="([^"]+)"', html)
    ]
    ends = [start for start, _ in starts[1:]] + [html.index("</form>", starts[-1][0])]
    return {name: html[start:end] for (start, name), end in zip(starts, ends, strict=True)}


def test_a_weak_password_is_reported_under_the_password_field_not_the_email(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "short", "password2": "short"},
    )
    assert response.status_code == 200
    blocks = field_blocks(response.content.decode())
    # The language (issue 20) comes after the passwords.
    assert list(blocks) == ["email", "password1", "password2", "language"]
    assert "field-error" not in blocks["email"]
    assert re.search(r'class="field-error" id="id_password1_error"', blocks["password1"])
    assert "too short" in blocks["password1"]
    # The control names its error, so a screen reader reads them together.
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_password1_error', blocks["password1"])


def test_mismatched_passwords_are_reported_under_the_second_password(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a long and unusual passphrase",
            "password2": "a different long passphrase",
        },
    )
    blocks = field_blocks(response.content.decode())
    assert "field-error" in blocks["password2"]
    assert "field-error" not in blocks["email"] and "field-error" not in blocks["password1"]


def test_an_invalid_email_is_reported_under_the_email_field(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-address", "password1": "x", "password2": "x"},
    )
    blocks = field_blocks(response.content.decode())
    assert "field-error" in blocks["email"]


def test_a_wrong_password_at_sign_in_is_an_error_of_the_form_at_its_top(client, customer):
    response = client.post(
        reverse("account_login"), {"login": customer.email, "password": "not the password"}
    )
    html = response.content.decode()
    form = html[html.index('<form method="post" class="card auth-form"') :]
    top = form.index('<div class="error-summary" role="alert"')
    assert top < form.index("not correct") < form.index('data-field="login"')
    assert "field-error" not in "".join(field_blocks(html).values())


def test_the_summary_counts_the_problems_and_links_each_field_to_its_control(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-address", "password1": "a long passphrase", "password2": "another"},
    )
    html = response.content.decode()
    summary = html[html.index('<div class="error-summary"') : html.index('data-field="email"')]
    assert "There are 2 problems" in summary
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary) == [
        ("id_email", "Email"),
        ("id_password2", "Password (again)"),
    ]
    assert 'id="id_email"' in html and 'id="id_password2"' in html


def test_a_form_without_errors_has_no_summary(client):
    assert "error-summary" not in client.get(reverse("account_signup")).content.decode()
