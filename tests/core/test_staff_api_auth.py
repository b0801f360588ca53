"""Staff API routers trust StaffAccessMiddleware's TOTP check instead of repeating its query,
and check for themselves whenever the middleware did not."""

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from ninja.errors import AuthorizationError

from config.api import STAFF_ACCESS_MIDDLEWARE, GuardedStaffAuth
from onboarding.core.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/staff/alerts/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _totp_queries(captured) -> int:
    return sum("mfa_authenticator" in q["sql"] for q in captured)


def test_the_middleware_asks_for_totp_and_the_router_does_not_ask_again(
    sysops_client, sysops, settings
):
    with CaptureQueriesContext(connection) as guarded:
        assert sysops_client.get(URL).status_code == 200
    settings.MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if m != STAFF_ACCESS_MIDDLEWARE]
    # A new client loads the middleware chain afresh (a client keeps the one it loaded first).
    with CaptureQueriesContext(connection) as unguarded:
        assert _client(sysops).get(URL).status_code == 200
    # Without the middleware the router makes the one TOTP query the middleware made.
    assert _totp_queries(guarded.captured_queries) == _totp_queries(unguarded.captured_queries)


def test_staff_without_totp_are_refused_by_the_middleware():
    response = _client(UserFactory(role=Role.SYSOPS)).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_without_the_middleware_the_router_still_refuses_staff_without_totp(settings):
    settings.MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if m != STAFF_ACCESS_MIDDLEWARE]
    response = _client(UserFactory(role=Role.SYSOPS)).get(URL)
    assert response.status_code == 403
    assert "TOTP" in response.json()["detail"]


def test_without_the_middleware_a_customer_is_not_let_in(customer_client, settings):
    settings.MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if m != STAFF_ACCESS_MIDDLEWARE]
    assert customer_client.get(URL).status_code == 404


def test_the_router_checks_for_itself_when_the_middleware_did_not_run_for_the_request(rf, db):
    # Listed in settings, yet this request never went through it (a stack that skips it, a
    # path it does not guard): the router makes the full check and refuses staff without TOTP.
    assert STAFF_ACCESS_MIDDLEWARE in django_settings.MIDDLEWARE
    request = rf.get(URL)
    request.user = UserFactory(role=Role.SYSOPS)
    with pytest.raises(AuthorizationError):
        GuardedStaffAuth().authenticate(request, None)
