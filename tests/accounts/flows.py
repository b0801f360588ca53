"""Signing in the way a person does: allauth's real views, password then the authenticator code."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for `secret` (RFC 6238, allauth's own HOTP)."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def submit_password(client: Client, email: str, password: str = DEFAULT_PASSWORD) -> HttpResponse:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def submit_totp(client: Client, code: str) -> HttpResponse:
    return client.post(reverse("mfa_authenticate"), {"code": code})


def sign_in(client: Client, email: str, *, secret: str | None = None) -> HttpResponse:
    """Password, then (for a user with an authenticator) the current TOTP code."""
    response = submit_password(client, email)
    if secret is not None:
        assert response.status_code == 302, response.content[:500]
        assert response["Location"] == reverse("mfa_authenticate")
        response = submit_totp(client, totp_code(secret))
    assert response.status_code == 302, response.content[:500]
    return response


def session_key_of(client: Client) -> str:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else ""
