"""Customers with real rows behind each factor: contracts as the acceptance tests make them,
invoices as the SysOps view tests do, cards through the payments service, requests through
the SysOps service (which starts their SLA clocks)."""

import datetime as dt

import pytest
from django.utils import timezone

from onboarding.acceptance.models import Rating, Review, ReviewState
from onboarding.billing.models import InvoiceStatus, PaymentState
from onboarding.health.models import HealthSettings
from onboarding.notifications.relay import relay_drain
from tests.acceptance.conftest import active_contract
from tests.payments.helpers import card_on_file
from tests.sysops.conftest import make_invoice, open_request

__all__ = ["card_on_file", "open_request"]


@pytest.fixture
def contract(db):
    return active_contract()


def overdue_invoice(contract, *, days_late: int, n: int = 1, **fields):
    """An open invoice of the contract's subscription, its charge failed, `days_late` days
    past its due date (make_invoice's dates, shifted)."""
    due = timezone.localdate() - dt.timedelta(days=days_late)
    return make_invoice(
        contract.subscription,
        n,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.FAILED,
        due_date=due,
        issue_date=due - dt.timedelta(days=14),
        paid_at=None,
        **fields,
    )


def red_review(contract, *, days_waiting: int) -> Review:
    opened = timezone.now() - dt.timedelta(days=days_waiting)
    return Review.objects.create(
        contract=contract,
        rating=Rating.RED,
        state=ReviewState.OPEN,
        opened_at=opened,
        ack_due_at=opened + dt.timedelta(days=1),
    )


def strict_bands() -> HealthSettings:
    """Bands where any cost of 4 points or more is red: a fall into red is easy to cause."""
    return HealthSettings.objects.create(pk=1, red_below=97, green_from=99)


def deliver_outbox() -> None:
    relay_drain(worker_id="health-test-relay")


@pytest.fixture(autouse=True)
def _no_stored_queue_counts(request):
    """The queue's stored counts live in the (shared, database) cache: each test that uses the
    database starts without them. The pure scoring tests never touch it."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if not uses_db:
        yield
        return
    from django.core.cache import cache

    from onboarding.health import counts

    keys = [counts.COUNTS_CACHE_KEY, counts.COUNTING_LOCK_KEY, counts.WANTED_KEY]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)
