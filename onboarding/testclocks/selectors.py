"""Reads for the test clocks' page and API: clocks with their customers, and what happened."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext, pgettext_lazy

from onboarding.accounts.models import Customer, TestClock, TestClockStatus
from onboarding.audit.models import AuditEntry, Outcome
from onboarding.core.errors import NotFound
from onboarding.testclocks.events import CLOCK_TYPE

EVENTS_SHOWN = 500


def clock_list() -> list[TestClock]:
    return list(TestClock.objects.annotate(customer_count=Count("customers")).order_by("-pk"))


# A clock's status as staff read it (TestClockStatus's own labels are the API's English).
STATUS_LABELS = {
    TestClockStatus.READY: pgettext_lazy("test clock", "Ready"),
    TestClockStatus.ADVANCING: pgettext_lazy("test clock", "Advancing"),
    TestClockStatus.FAILED: pgettext_lazy("test clock", "Failed"),
}

OUTCOME_LABELS = dict(Outcome.choices)


def clock_status_label(test_clock: TestClock) -> str:
    return str(STATUS_LABELS.get(test_clock.status, test_clock.get_status_display()))


def clock_get(*, clock_id: int | str) -> TestClock:
    try:
        found = (
            TestClock.objects.annotate(customer_count=Count("customers"))
            .filter(pk=int(clock_id))
            .first()
        )
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise NotFound(gettext("No such test clock."))
    return found


def clock_customers(*, clock_id: int) -> list[Customer]:
    return list(
        Customer.objects.select_related("user").filter(test_clock_id=clock_id).order_by("pk")
    )


@dataclass(frozen=True)
class ClockEvent:
    id: int
    action: str
    outcome: str
    customer_id: int | None
    customer_reference: str  # the customer's CUS- number when it is one of the clock's, else ""
    object_type: str
    object_id: str
    message: str
    real_time: datetime
    simulated_at: datetime | None

    @property
    def outcome_label(self) -> str:
        """The outcome in the reader's language (the recorded code stays in `outcome`)."""
        return str(OUTCOME_LABELS.get(self.outcome, self.outcome))


def clock_events(*, clock_id: int, limit: int = EVENTS_SHOWN) -> list[ClockEvent]:
    """What happened on the clock, newest first: every audit entry about its customers (at its
    moments, and any written about them in real time) and the clock's own (created, advanced,
    failed), each with its simulated and its real time."""
    references = {
        customer.pk: customer.reference
        for customer in Customer.objects.filter(test_clock_id=clock_id).only("pk")
    }
    # Both halves are index reads (audit_customer_idx, audit_object_idx) of the clock's own rows;
    # the customer ids go in as a list, since an IN (subquery) under an OR is not one on
    # PostgreSQL. The `simulated_at` stamp inside `changes` has no index: it is only read here.
    entries = (
        AuditEntry.objects.filter(
            Q(customer_id__in=list(references)) | Q(object_type=CLOCK_TYPE, object_id=str(clock_id))
        )
        .order_by("-pk")
        .only(
            "pk",
            "action",
            "outcome",
            "customer_id",
            "object_type",
            "object_id",
            "message",
            "occurred_at",
            "changes",
        )[:limit]
    )
    return [
        ClockEvent(
            id=entry.pk,
            action=entry.action,
            outcome=entry.outcome,
            customer_id=entry.customer_id,
            customer_reference=references.get(entry.customer_id, ""),
            object_type=entry.object_type,
            object_id=entry.object_id,
            message=entry.message,
            real_time=entry.occurred_at,
            simulated_at=_moment(entry.changes),
        )
        for entry in entries
    ]


def _moment(changes) -> datetime | None:
    value = changes.get("simulated_at") if isinstance(changes, dict) else None
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
