"""Finding the real services the suite talks to, and what to do when one is missing.

Without REQUIRE_SERVICES a test whose service is absent skips, saying which service and how to
start it; with REQUIRE_SERVICES=1 (CI) the same absence fails the test.
"""

import fcntl
import os
import shutil
import socket
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}
# The benchmarks in bench/ use databases 12 to 15 of the same Redis (and flush them): the suite
# counts down from 11 (claimed_redis_url).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing(reason: str) -> None:
    """Skip (or, under REQUIRE_SERVICES, fail) the current test for a missing service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(f"service missing: {reason}")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_available(url: str = TEST_REDIS_URL) -> bool:
    parsed = urlparse(url)
    return port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379)


# The open lock files behind claimed_redis_url: closing one would release its claim.
_held_locks: list = []


@cache
def claimed_redis_url() -> str:
    """TEST_REDIS_URL with a database number this process holds alone while it runs.

    The redis_url fixture empties its database before and after each test, so two processes
    sharing one (the workers of `pytest -n 2`, or two suites run at once on one machine) would
    empty each other's streams mid-test. Each process claims the first number, counting down from
    TEST_REDIS_URL's (11 by default) to 1, whose lock file no other process holds; the kernel drops
    the lock when the process ends, however it ends. Database 0 is left to `make run`.
    """
    parsed = urlparse(TEST_REDIS_URL)
    first = int(parsed.path.strip("/") or 0)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    for number in range(first, 0, -1) if first else [0]:
        lock = Path(tempfile.gettempdir()) / f"onboarding-test-redis-{host}-{port}-db{number}.lock"
        handle = lock.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _held_locks.append(handle)  # held, and so locked, until this process ends
        return parsed._replace(path=f"/{number}").geturl()
    raise RuntimeError(f"every Redis database from {first} down to 1 is claimed by another run")


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
