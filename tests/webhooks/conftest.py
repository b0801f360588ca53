import pytest

from onboarding.core.roles import Role
from tests.factories import staff_user
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.release.set()
    server.stop()


@pytest.fixture
def admin(db):
    return staff_user(Role.ADMIN)
