"""The business clock: real time, or a test clock's simulated moment (docs/test-clocks.md).

Business code asks `clock.now()` for "what time is it" when it decides what is due or stamps a
business date. Outside a simulation that is `timezone.now()`. The test-clock service advances a
clock by running the periodic jobs inside `simulated(clock_id, at)`: then `now()` is the
clock's moment, and `customer_scope()` narrows every due-selector to that clock's customers,
while real runs never see a test customer. Infrastructure (heartbeats, leases, audit sealing,
webhook retries, sessions) stays on `timezone.now()`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone


@dataclass(frozen=True)
class Simulation:
    clock_id: int
    at: datetime


_current: ContextVar[Simulation | None] = ContextVar("onboarding_test_clock", default=None)

# Tasks queued under a simulation go to this clock's own queue, which real workers never
# claim: the test-clock service runs them under the same simulated moment.
QUEUE_PREFIX = "testclock-"


# The key an outbox row written under a simulation carries: {"id": clock id, "at": ISO moment}.
OUTBOX_KEY = "test_clock"


def now() -> datetime:
    """The simulated moment under a test clock, else the real time (aware, UTC)."""
    simulation = _current.get()
    return simulation.at if simulation is not None else timezone.now()


def today() -> date:
    """The business day (UTC) at `now()`."""
    return now().date()


def localdate() -> date:
    """timezone.localdate() at `now()`."""
    return timezone.localdate(now())


def current() -> Simulation | None:
    return _current.get()


def current_clock_id() -> int | None:
    simulation = _current.get()
    return simulation.clock_id if simulation is not None else None


@contextmanager
def simulated(clock_id: int, at: datetime) -> Iterator[Simulation]:
    """Run the block at the test clock `clock_id`'s moment `at`."""
    if timezone.is_naive(at):
        raise ValueError("a simulated moment must be timezone-aware")
    token = _current.set(Simulation(clock_id=int(clock_id), at=at))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@contextmanager
def simulated_from(stamp: dict | None) -> Iterator[Simulation | None]:
    """Run the block at the moment an OUTBOX_KEY stamp names, or in real time without one
    (even inside another simulation: a real customer's message is never handled on a clock)."""
    simulation = (
        Simulation(clock_id=int(stamp["id"]), at=datetime.fromisoformat(stamp["at"]))
        if stamp
        else None
    )
    token = _current.set(simulation)
    try:
        yield simulation
    finally:
        _current.reset(token)


def customer_scope(path: str) -> Q:
    """Rows whose customer (`path` leads to it, "" for a Customer queryset itself) is in the
    running scope: real customers in real time, the clock's own under a simulation."""
    prefix = f"{path}__" if path else ""
    clock_id = current_clock_id()
    if clock_id is None:
        return Q(**{f"{prefix}test_clock__isnull": True})
    return Q(**{f"{prefix}test_clock_id": clock_id})


def queue_name() -> str | None:
    """The task queue for work queued now: the clock's own under a simulation, else None."""
    clock_id = current_clock_id()
    return f"{QUEUE_PREFIX}{clock_id}" if clock_id is not None else None


def audit_stamp() -> dict:
    """What an audit entry written now carries about the simulation (nothing in real time)."""
    simulation = _current.get()
    if simulation is None:
        return {}
    return {"simulated_at": simulation.at.isoformat(), "test_clock_id": simulation.clock_id}
