"""Every staff API route checks role and TOTP itself (StaffAuth), not only through the middleware:
with StaffAccessMiddleware taken out, the routes still refuse."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client

from config.api import api
from onboarding.core.roles import Role
from tests.factories import UserFactory

WITHOUT_MIDDLEWARE = [
    name
    for name in django_settings.MIDDLEWARE
    if name != "onboarding.accounts.middleware.StaffAccessMiddleware"
]


def staff_get_paths() -> list[str]:
    schema = api.get_openapi_schema()
    paths = [
        re.sub(r"\{[^}]+\}", "1", path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/staff/") and "get" in operations
    ]
    assert paths, "no staff API routes found"
    return paths


@pytest.fixture
def no_staff_middleware(settings):
    settings.MIDDLEWARE = WITHOUT_MIDDLEWARE


@pytest.mark.parametrize("path", staff_get_paths())
def test_staff_route_refuses_staff_without_totp_on_its_own(no_staff_middleware, db, path):
    # An admin holds every staff role a route may ask for (service credits: managers and
    # admins), so the refusal is the missing second factor, not the role.
    client = Client()
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(path)
    assert response.status_code == 403, (path, response.content[:300])
    assert "TOTP" in response.json()["detail"]


@pytest.mark.parametrize("path", staff_get_paths())
def test_staff_route_refuses_anonymous_on_its_own(no_staff_middleware, client, db, path):
    assert client.get(path).status_code == 401
