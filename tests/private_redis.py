"""A Redis server of the test's own, on a spare port, that a test can stop and start again
(the machine's shared Redis must keep running for everyone else)."""

import shutil
import subprocess

import pytest
import redis

from tests.services import free_port, missing
from tests.waiting import wait_until


class PrivateRedis:
    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=2)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what="private redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path, settings):
    if shutil.which("redis-server") is None:
        missing("redis-server (Debian package redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    yield server
    server.stop()
