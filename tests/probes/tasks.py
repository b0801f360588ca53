"""Probe tasks: small tasks whose every step leaves a TaskProbe row.

Used by the worker tests (tests/worker/), which run them in real run_worker child processes
and kill those mid-task. Like every task, they are idempotent: a key that has completed is not
completed again.
"""

import os
import time
from pathlib import Path

from django.db import IntegrityError, transaction
from django_tasks import TaskContext, task

from tests.probes.models import TaskProbe

# Upper bound on how long a blocked probe waits for its go-file, so a forgotten one ends.
MAX_BLOCK_SECONDS = 120


def _record(context: TaskContext, *, key: str, event: str) -> None:
    worker_ids = context.task_result.worker_ids
    TaskProbe.objects.create(
        key=key,
        event=event,
        attempt=context.attempt,
        worker_id=worker_ids[-1] if worker_ids else "",
        pid=os.getpid(),
    )


@task(takes_context=True)
def worker_probe(context: TaskContext, key: str, go_file: str = "") -> str:
    """Record "started"; if `go_file` is given, wait until that file exists; record "completed"."""
    if TaskProbe.objects.filter(key=key, event="completed").exists():
        return "already completed"
    _record(context, key=key, event="started")
    if go_file:
        deadline = time.monotonic() + MAX_BLOCK_SECONDS
        while not Path(go_file).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"go-file {go_file} never appeared")
            time.sleep(0.05)  # polling a file: the probe has nothing else to wait on
    try:
        with transaction.atomic():
            _record(context, key=key, event="completed")
    except IntegrityError:
        return "already completed"
    return "completed"


@task(takes_context=True)
def failing_probe(context: TaskContext, key: str) -> None:
    """Record "attempt" and raise: a task that always fails, to watch retries and the alert."""
    _record(context, key=key, event="attempt")
    raise RuntimeError(f"probe {key} failed on attempt {context.attempt}")


@task(takes_context=True)
def flaky_probe(context: TaskContext, key: str, failures: int = 1) -> str:
    """Fail the first `failures` attempts, then complete: a task that a retry rescues."""
    _record(context, key=key, event="attempt")
    if context.attempt <= failures:
        raise ConnectionError(f"probe {key}: a passing failure on attempt {context.attempt}")
    _record(context, key=key, event="completed")
    return "completed"
