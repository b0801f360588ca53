"""Test clock set-up: an admin, a plan, documents in a temporary directory."""

import pytest

from onboarding.core.roles import Role
from tests.factories import plan_with_prices, staff_user


@pytest.fixture(autouse=True)
def _media(media):
    """PDFs go to this test's own directory (`media`, tests/conftest.py)."""


@pytest.fixture
def admin(db):
    return staff_user(Role.ADMIN)


@pytest.fixture
def plan(db):
    return plan_with_prices()
