"""allauth's pages render inside our base.html, and keep to the CSP (no inline script or style)."""

import re

import pytest
from django.urls import reverse

from tests.accounts.flows import sign_in, submit_password

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(rb"<style|\sstyle=", re.I)


def assert_our_page(response) -> None:
    assert response.status_code == 200
    html = response.content
    assert b'class="topbar"' in html  # templates/base.html
    assert b"/static/css/app.css" in html
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name",
    ["account_login", "account_signup", "account_reset_password", "account_reset_password_done"],
)
def test_entrance_pages_render_in_our_layout(client, db, name):
    response = client.get(reverse(name))
    assert_our_page(response)


def test_sign_in_page_has_the_form_and_a_title(client, db):
    response = client.get(reverse("account_login"))
    assert b'name="login"' in response.content
    assert b"<title>Sign in" in response.content


def test_second_factor_page_renders_in_our_layout(client, staff_with_secret):
    user, _ = staff_with_secret
    submit_password(client, user.email)
    response = client.get(reverse("mfa_authenticate"))
    assert_our_page(response)
    assert b'name="code"' in response.content


def test_totp_activation_page_renders_in_our_layout(client, sysops_without_totp):
    sign_in(client, sysops_without_totp.email)
    client.post(reverse("account_reauthenticate"), {"password": "correct horse battery staple"})
    response = client.get(reverse("mfa_activate_totp"))
    assert_our_page(response)
    assert b"data:image/svg+xml;base64," in response.content  # the QR code, an image


@pytest.mark.parametrize("name", ["account_email", "account_change_password", "mfa_index"])
def test_account_pages_render_in_our_layout_with_account_links(customer_client, name):
    response = customer_client.get(reverse(name))
    assert_our_page(response)
    assert b'class="account-links"' in response.content
