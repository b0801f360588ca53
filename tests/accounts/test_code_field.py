"""The staff sign-in's second step on a phone: the code field asks for the number pad and offers
the code from the keychain, and a wrong code is refused under the field without echoing it."""

import re

from django.urls import reverse

from tests.accounts.flows import submit_password, submit_totp, totp_code
from tests.accounts.test_pages import assert_our_page

CODE_INPUT = re.compile(rb'<input[^>]*name="code"[^>]*>')


def _code_input(response) -> bytes:
    found = CODE_INPUT.search(response.content)
    assert found, response.content[:2000]
    return found.group(0)


def test_the_second_step_asks_a_phone_for_the_number_pad(client, staff_with_secret):
    user, _ = staff_with_secret
    submit_password(client, user.email)
    response = client.get(reverse("mfa_authenticate"))
    assert_our_page(response)
    field = _code_input(response)
    assert b'inputmode="numeric"' in field
    assert b'autocomplete="one-time-code"' in field
    assert b'pattern="[0-9 ]*"' in field
    assert b"aria-invalid" not in field


def test_a_wrong_code_is_shown_under_the_field_and_not_echoed(client, staff_with_secret):
    user, _ = staff_with_secret
    submit_password(client, user.email)
    response = submit_totp(client, "000001")
    assert response.status_code == 200
    field = _code_input(response)
    assert b'aria-invalid="true"' in field
    assert b"value=" not in field
    assert b'class="field has-error"' in response.content
    assert b'id="id_code_error" role="alert"' in response.content


def test_the_right_code_still_signs_in(client, staff_with_secret):
    user, secret = staff_with_secret
    submit_password(client, user.email)
    response = submit_totp(client, totp_code(secret))
    assert response.status_code == 302
    assert client.get(reverse("staff:home")).status_code == 200
