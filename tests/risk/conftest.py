"""A Redis of the test's own, to stop and start (tests/private_redis.py)."""

from tests.private_redis import private_redis  # noqa: F401
