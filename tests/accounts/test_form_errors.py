"""Every form error sits under its own field; errors of no field at the top of the form."""

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
    assert list(blocks) == ["email", "password1", "password2"]
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
    top = form.index('<ul class="errorlist nonfield" role="alert">')
    assert top < form.index('data-field="login"')
    assert "field-error" not in "".join(field_blocks(html).values())
