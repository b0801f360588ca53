"""Helpers for running task workers: in this process, or as real `run_worker` children."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from onboarding.worker.runner import ResilientWorker

REPO = Path(settings.BASE_DIR)
# Short enough for a test to watch a worker die and be declared dead within seconds.
CHILD_HEARTBEAT_SECONDS = 1
CHILD_STALE_AFTER_SECONDS = 3


def child_database_url() -> str:
    """The URL of the test database as this process sees it, for a child process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


def run_worker_in_process(*, worker_id: str = "in-process-worker") -> None:
    """Run every due task in this process with our worker, then return (batch mode)."""
    ResilientWorker.in_thread(queue_names=["*"], worker_id=worker_id).run()


class WorkerProcess:
    def __init__(self, popen: subprocess.Popen, log_path: Path):
        self.popen = popen
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to tidy up, as in an OOM kill."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def terminate(self, timeout: float = 20) -> int:
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout)


class WorkerProcesses:
    """Starts real `manage.py run_worker` children on the test database; stops them after."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.started: list[WorkerProcess] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> WorkerProcess:
        child_env = {
            **os.environ,
            "DATABASE_URL": child_database_url(),
            "WORKER_HEARTBEAT_SECONDS": str(CHILD_HEARTBEAT_SECONDS),
            "WORKER_STALE_AFTER_SECONDS": str(CHILD_STALE_AFTER_SECONDS),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        log_path = self.tmp_path / f"worker-{len(self.started) + 1}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                [
                    sys.executable,
                    str(REPO / "manage.py"),
                    "run_worker",
                    "--interval=0.1",
                    "--no-startup-delay",
                    *args,
                ],
                cwd=REPO,
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = WorkerProcess(popen, log_path)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
                try:
                    process.popen.wait(10)
                except subprocess.TimeoutExpired:
                    process.popen.kill()
                    process.popen.wait(10)


@pytest.fixture
def worker_processes(tmp_path, transactional_db):
    processes = WorkerProcesses(tmp_path)
    yield processes
    processes.stop_all()
