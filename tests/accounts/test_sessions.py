"""Sessions (ASVS V3): a new id at sign-in, none after sign-out, staff time limits, cookie flags."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from onboarding.accounts.middleware import LAST_SEEN_KEY, STARTED_KEY
from onboarding.audit.models import AuditEntry
from tests.accounts.flows import (
    session_key_of,
    sign_in,
    submit_password,
    submit_totp,
    totp_code,
)

STAFF_PAGE = "/staff/"


def set_session_values(client: Client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("account_email")).status_code == 200


# --- a new session id at sign-in --------------------------------------------------------------


def test_sign_in_replaces_the_session_id_of_the_anonymous_visitor(client, customer):
    set_session_values(client, marker="before sign-in")  # an anonymous session exists
    before = session_key_of(client)
    sign_in(client, customer.email)
    after = session_key_of(client)
    assert before and after and before != after
    assert not SessionStore().exists(before)


def test_second_factor_step_replaces_the_session_id_again(client, staff_with_secret):
    user, secret = staff_with_secret
    submit_password(client, user.email)
    halfway = session_key_of(client)  # holds the pending login, not a signed-in user
    submit_totp(client, totp_code(secret))
    assert session_key_of(client) != halfway
    assert not SessionStore().exists(halfway)


def test_old_session_id_does_not_sign_in_after_sign_in(client, customer):
    set_session_values(client, marker="before sign-in")
    before = session_key_of(client)
    sign_in(client, customer.email)
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = before
    assert not is_signed_in(attacker)


# --- sign-out ends the session ----------------------------------------------------------------


def test_sign_out_ends_the_session_on_the_server(client, customer):
    sign_in(client, customer.email)
    key = session_key_of(client)
    assert is_signed_in(client)
    client.post(reverse("account_logout"))
    assert not SessionStore().exists(key)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not is_signed_in(replay)


def test_staff_session_id_does_not_reach_staff_pages_after_sign_out(sysops_client):
    key = session_key_of(sysops_client)
    assert sysops_client.get(STAFF_PAGE).status_code == 200
    sysops_client.post(reverse("account_logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(STAFF_PAGE)["Location"].startswith(reverse("account_login"))


# --- staff time limits ------------------------------------------------------------------------


def test_idle_staff_session_is_ended(settings, sysops_client, sysops):
    settings.STAFF_IDLE_TIMEOUT = timedelta(seconds=60)
    assert sysops_client.get(STAFF_PAGE).status_code == 200
    key = session_key_of(sysops_client)
    set_session_values(sysops_client, **{LAST_SEEN_KEY: time.time() - 61})
    response = sysops_client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fstaff%2F"
    assert not SessionStore().exists(key)
    assert AuditEntry.objects.get(action="auth.session_expired").actor == sysops


def test_staff_session_used_within_the_idle_limit_stays(settings, sysops_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(seconds=60)
    sysops_client.get(STAFF_PAGE)
    set_session_values(sysops_client, **{LAST_SEEN_KEY: time.time() - 50})
    assert sysops_client.get(STAFF_PAGE).status_code == 200
    assert not AuditEntry.objects.filter(action="auth.session_expired").exists()


def test_each_request_restarts_the_idle_clock(settings, sysops_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(seconds=60)
    sysops_client.get(STAFF_PAGE)
    set_session_values(sysops_client, **{LAST_SEEN_KEY: time.time() - 50})
    sysops_client.get(STAFF_PAGE)
    assert time.time() - sysops_client.session[LAST_SEEN_KEY] < 5


def test_idle_staff_api_call_gets_401_json(settings, sysops_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(seconds=60)
    sysops_client.get(STAFF_PAGE)
    set_session_values(sysops_client, **{LAST_SEEN_KEY: time.time() - 61})
    response = sysops_client.get("/api/v1/staff/audit/")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_staff_session_ends_at_its_maximum_age_however_active(settings, sysops_client):
    settings.STAFF_SESSION_MAX_AGE = timedelta(hours=1)
    sysops_client.get(STAFF_PAGE)
    set_session_values(sysops_client, **{STARTED_KEY: time.time() - 3601})
    response = sysops_client.get(STAFF_PAGE)
    assert response["Location"].startswith(reverse("account_login"))
    assert "maximum session age" in AuditEntry.objects.get(action="auth.session_expired").message


def test_customer_sessions_have_no_staff_idle_limit(settings, customer_client):
    settings.STAFF_IDLE_TIMEOUT = timedelta(seconds=1)
    set_session_values(customer_client, **{LAST_SEEN_KEY: time.time() - 3600})
    assert is_signed_in(customer_client)


def test_sign_in_starts_the_staff_session_clocks(client, staff_with_secret):
    user, secret = staff_with_secret
    sign_in(client, user.email, secret=secret)
    started = client.session[STARTED_KEY]
    assert time.time() - started < 60
    assert client.session[LAST_SEEN_KEY] == started


# --- cookies ----------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client, customer):
    sign_in(client, customer.email)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_session_cookie_is_secure_with_the_production_setting(settings, client, customer):
    settings.SESSION_COOKIE_SECURE = True
    sign_in(client, customer.email)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True


def test_session_cookie_ends_with_the_browser(client, customer):
    # ACCOUNT_SESSION_REMEMBER = False: no "remember me", no persistent cookie.
    sign_in(client, customer.email)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""
