"""Real `manage.py risk_consume` processes on a private Redis, and risk events to feed them."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import redis
from django.conf import settings

from onboarding.risk.streams import stream_publish_once

REPO = Path(settings.BASE_DIR)
GROUP = "crash-test"
# The smallest pipe Linux allows: a consumer whose output nobody reads blocks after a few lines.
SMALL_PIPE_BYTES = 4096


def publish_events(client: redis.Redis, count: int) -> list[str]:
    """Publish `count` risk events (schema 1, about 600 bytes as JSON); their ids, in order."""
    ids = []
    for n in range(count):
        event_id = str(uuid.uuid4())
        event = {
            "id": event_id,
            "schema": 1,
            "type": "requirements_unknown",
            "level": "red",
            "rating": None,
            "reason": f"Crash test event {n:05d}: " + "requirements unknown. " * 22,
            "occurred_at": "2026-11-25T09:03:02.118201+00:00",
            "contract": {"id": n + 1, "number": f"CTR-2026-{n + 1:06d}"},
            "customer": {"id": n + 1, "reference": f"CUS-{n + 1:06d}"},
        }
        assert stream_publish_once(client, event) is not None
        ids.append(event_id)
    return ids


def replay_event(client: redis.Redis, event_id: str) -> None:
    """What a producer outside our publish-once does: the same event id in a new entry."""
    event = {"id": event_id, "schema": 1, "type": "requirements_unknown"}
    client.xadd(
        settings.RISK_STREAM,
        {"id": event_id, "type": event["type"], "event": json.dumps(event)},
    )


def complete_lines(data: bytes) -> list[str]:
    """The whole lines of a consumer's output; a line cut short by SIGKILL was not printed."""
    return data.decode(errors="replace").split("\n")[:-1]


def printed_ids(lines: list[str]) -> list[str]:
    return [json.loads(line)["id"] for line in lines]


class ConsumerProcess:
    """One `manage.py risk_consume` child. Its output goes to a file, or to a small pipe nobody
    reads (`pipe=True`), which stops the consumer mid-batch until the test kills it."""

    def __init__(
        self, *, name: str, env: dict[str, str], output_path: Path, pipe: bool = False
    ) -> None:
        self.name = name
        self.output_path = output_path
        self.killed = False
        self._piped = b""
        command = [
            sys.executable,
            str(REPO / "manage.py"),
            "risk_consume",
            "--group",
            GROUP,
            "--consumer",
            name,
            "--block-ms",
            "200",
        ]
        if pipe:
            self.popen = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            fcntl.fcntl(self.popen.stdout.fileno(), fcntl.F_SETPIPE_SZ, SMALL_PIPE_BYTES)
        else:
            with output_path.open("wb") as output:
                self.popen = subprocess.Popen(
                    command, cwd=REPO, env=env, stdout=output, stderr=subprocess.DEVNULL
                )

    def output(self) -> bytes:
        if self.popen.stdout is not None:
            return self._piped
        return self.output_path.read_bytes()

    def output_size(self) -> int:
        return os.stat(self.output_path).st_size if self.popen.stdout is None else 0

    def lines(self) -> list[str]:
        return complete_lines(self.output())

    def kill(self) -> None:
        """SIGKILL: no chance to acknowledge or tidy up, as in an OOM kill."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)
        self.killed = True
        if self.popen.stdout is not None:
            self._piped = self.popen.stdout.read()
            self.popen.stdout.close()

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                return self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.popen.returncode


class ConsumerProcesses:
    def __init__(self, *, redis_url: str, tmp_path: Path, claim_idle_seconds: int) -> None:
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "RISK_STREAM": settings.RISK_STREAM,
            "RISK_STREAM_CLAIM_IDLE_SECONDS": str(claim_idle_seconds),
            "PYTHONUNBUFFERED": "1",
        }
        self.started: list[ConsumerProcess] = []

    def start(self, name: str, *, pipe: bool = False) -> ConsumerProcess:
        path = self.tmp_path / f"consumer-{len(self.started) + 1}-{name}.jsonl"
        process = ConsumerProcess(name=name, env=self.env, output_path=path, pipe=pipe)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            process.stop()
