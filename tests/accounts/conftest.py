import pytest
from django.core.cache import cache

from onboarding.core.roles import Role
from tests.factories import UserFactory, add_totp


@pytest.fixture(autouse=True)
def totp_tolerance(settings):
    # One step of slack, so a code computed just before a 30-second boundary still counts.
    settings.MFA_TOTP_TOLERANCE = 1


@pytest.fixture
def sysops_without_totp(db):
    return UserFactory(role=Role.SYSOPS)


@pytest.fixture
def staff_with_secret(db):
    """A sysops user with an authenticator app, and the secret to compute its codes."""
    user = UserFactory(role=Role.SYSOPS)
    return user, add_totp(user)


@pytest.fixture
def admin_with_secret(db):
    user = UserFactory(role=Role.ADMIN)
    return user, add_totp(user)


@pytest.fixture
def empty_cache():
    """For transactional tests: rate-limit counters and used TOTP codes live in the cache table,
    which no rollback empties, and a later test may get the same user id."""
    cache.clear()
    yield
    cache.clear()
