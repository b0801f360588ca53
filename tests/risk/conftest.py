"""A Redis of the test's own, to stop and start (tests/private_redis.py), and real
`manage.py risk_consume` processes reading from it (tests/risk/consumers.py)."""

import pytest

from tests.private_redis import private_redis  # noqa: F401
from tests.risk.consumers import ConsumerProcesses

# How long an entry another consumer left pending waits before it is claimed, in the children:
# short for the test's sake, long enough that a live consumer on a busy machine keeps its own.
CHILD_CLAIM_IDLE_SECONDS = 3


@pytest.fixture
def risk_consumers(private_redis, tmp_path):  # noqa: F811
    processes = ConsumerProcesses(
        redis_url=private_redis.url, tmp_path=tmp_path, claim_idle_seconds=CHILD_CLAIM_IDLE_SECONDS
    )
    yield processes
    processes.stop_all()
