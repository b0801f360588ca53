"""The test clocks' audit events: one keyword-only function per event, nothing else writes them.

Entries written during a step carry the simulated moment in `changes` (audit/services.py); these
are the clock's own, written in real time by the admin's actions and the advance task."""

from datetime import datetime

from onboarding.accounts.models import Customer, TestClock
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record

CLOCK_TYPE = "accounts.testclock"
ADMIN_ONLY = "only an admin may do this"


def test_clock_refused(*, actor, object_id: str) -> None:
    audit_record(
        action="test_clock.refused",
        actor=actor,
        object_type=CLOCK_TYPE,
        object_id=object_id,
        outcome=Outcome.REFUSED,
        message=ADMIN_ONLY,
    )


def test_clock_created(*, actor, test_clock: TestClock) -> None:
    audit_record(
        action="test_clock.created",
        actor=actor,
        target=test_clock,
        changes={"name": test_clock.name, "frozen_time": test_clock.frozen_time},
    )


def test_customer_created(*, actor, test_clock: TestClock, customer: Customer) -> None:
    audit_record(
        action="test_clock.customer_created",
        actor=actor,
        target=test_clock,
        customer_id=customer.pk,
        changes={"customer_id": customer.pk, "email": customer.user.email},
    )


def test_clock_advance_requested(*, actor, test_clock: TestClock, target: datetime) -> None:
    audit_record(
        action="test_clock.advance_requested",
        actor=actor,
        target=test_clock,
        changes={"from": test_clock.frozen_time, "to": target},
    )


def test_clock_advanced(*, test_clock: TestClock, started_from: datetime, steps: int) -> None:
    audit_record(
        action="test_clock.advanced",
        target=test_clock,
        changes={"from": started_from, "to": test_clock.frozen_time, "steps": steps},
    )


def test_clock_failed(*, test_clock: TestClock, error: str) -> None:
    audit_record(
        action="test_clock.advance_failed",
        target=test_clock,
        outcome=Outcome.FAILURE,
        changes={"stopped_at": test_clock.frozen_time, "target": test_clock.target_time},
        message=error[:500],
    )
