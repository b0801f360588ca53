"""Fixtures shared by the whole-system tests."""

from tests.private_redis import private_redis  # noqa: F401
