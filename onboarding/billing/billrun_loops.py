"""Several claim-and-charge loops in one bill-run process (PostgreSQL): how many, and running
them in threads, each on its own connection."""

import contextvars
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.translation import get_language


def bill_run_loops(wanted: int | None = None) -> int:
    """How many claim-and-charge loops one bill-run process runs at once: `wanted`, else
    BILLING_RUN_LOOPS (1 by default).

    On PostgreSQL each loop has its own connection and claims with SKIP LOCKED, as separate
    processes do, so one loop's Python runs while PostgreSQL answers the other's queries (a
    single loop leaves one of them idle at every round trip). Always one on SQLite (one writer)
    and inside a transaction (a test's: other connections would not see its rows).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, wanted or int(getattr(settings, "BILLING_RUN_LOOPS", 1)))


def loops_in_threads(loop: Callable[[], None], count: int) -> None:
    """Run `loop` in `count` threads, each on its own connection (closed when it ends), in the
    caller's language and context; re-raise the first error once all have ended."""
    errors: list[BaseException] = []
    language = get_language()

    def run(context: contextvars.Context) -> None:
        try:
            with translation.override(language):
                context.run(loop)
        except BaseException as error:  # re-raised in the caller's thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(contextvars.copy_context(),), name=f"bill-run-{n}")
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
