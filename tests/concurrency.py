"""Running the same work in several threads at once, each with its own database connection,
for the tests that prove something happens exactly once under concurrency (PostgreSQL)."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(count: int, work: Callable[[int], Any]) -> list:
    """Start `work(index)` in `count` threads released together by a barrier; return their
    results in index order. Any thread's exception fails the caller's test, with the others'."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def one(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # reported below, with the others
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results
