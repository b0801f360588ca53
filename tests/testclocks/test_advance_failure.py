"""An advance that fails midway, for a real reason (the database refuses the renewal's invoice):
the admin sees why on the page and in the API, the admins are alerted, the clock stands at its
last completed step with nothing lost, and advancing again finishes the journey."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.accounts.models import TestClockStatus
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry, Outcome
from onboarding.billing.models import Invoice, InvoiceStatus, Subscription
from onboarding.core.errors import Conflict
from onboarding.testclocks.advancing import STEP, clock_run
from onboarding.testclocks.services import (
    ClockCustomerIn,
    clock_advance,
    clock_create,
    clock_customer_create,
)
from onboarding.worker.models import TaskKey
from tests.db_faults import HICCUP, database_fails

START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
RENEWAL = datetime(2027, 4, 1, 8, 0, tzinfo=UTC)
TARGET = datetime(2027, 4, 15, 8, 0, tzinfo=UTC)


# Transactions commit, as in production: each step's work stands or falls on its own.
@pytest.mark.django_db(transaction=True)
def test_an_advance_that_fails_midway_stops_at_its_last_step_alerts_and_resumes(admin, plan):
    test_clock = clock_create(actor=admin, name="Hiccup", frozen_time=START)
    customer = clock_customer_create(
        actor=admin,
        clock_id=test_clock.pk,
        data=ClockCustomerIn(email="hiccup@example.test", plan_slug=plan.slug, cycle="monthly"),
    )
    first = Invoice.objects.get(customer=customer)
    assert first.status == InvoiceStatus.PAID

    clock_advance(actor=admin, clock_id=test_clock.pk, to=TARGET)
    with database_fails(
        Invoice, "INSERT", when=f"NEW.customer_id = {customer.pk}", name="renewal_hiccup"
    ):
        failed = clock_run(clock_id=test_clock.pk)

    # The clock: failed, at the last step it completed (the one before the renewal's moment).
    assert failed.status == TestClockStatus.FAILED
    assert RENEWAL - STEP <= failed.frozen_time < RENEWAL
    assert failed.target_time == TARGET
    # What the admin sees: why, where it stopped, and what to do.
    page = Client()
    page.force_login(admin)
    detail = page.get(f"/staff/test-clocks/{test_clock.pk}/").content.decode()
    assert HICCUP in detail and "advance again" in detail
    assert "data-clock-status>Failed<" in detail
    assert 'value="2027-04-15T08:00"' in detail  # the advance form aims at the missed target
    shown = page.get(f"/api/v1/staff/test-clocks/{test_clock.pk}").json()
    assert shown["status"] == "failed" and HICCUP in shown["failure"]
    assert datetime.fromisoformat(shown["frozen_time"]) == failed.frozen_time
    # The admins are told, and the log says so.
    alert = AdminAlert.objects.get(reason="test_clock_failed")
    assert HICCUP in alert.message and alert.object_id == str(test_clock.pk)
    assert AuditEntry.objects.filter(
        action="test_clock.advance_failed", outcome=Outcome.FAILURE
    ).exists()
    # Nothing lost: the paid invoice as it was, the renewal still due, no half-made invoice.
    assert list(Invoice.objects.filter(customer=customer)) == [first]
    first.refresh_from_db()
    assert first.status == InvoiceStatus.PAID
    assert Subscription.objects.get(customer=customer).next_invoice_at == RENEWAL

    # With the cause gone, advancing again to the same target re-runs the failed step.
    clock_advance(actor=admin, clock_id=test_clock.pk, to=TARGET)
    resumed = clock_run(clock_id=test_clock.pk)

    assert (resumed.status, resumed.frozen_time, resumed.failure) == (
        TestClockStatus.READY,
        TARGET,
        "",
    )
    renewal = Invoice.objects.filter(customer=customer).exclude(pk=first.pk).get()
    assert (renewal.period_start, renewal.issue_date) == (RENEWAL, RENEWAL.date())
    assert renewal.status == InvoiceStatus.PAID
    paid = AuditEntry.objects.get(action="invoice.paid", object_id=str(renewal.pk))
    assert paid.changes["simulated_at"] == RENEWAL.isoformat()
    next_renewal = datetime(2027, 5, 1, 8, 0, tzinfo=UTC)
    assert Subscription.objects.get(customer=customer).next_invoice_at == next_renewal


def test_an_advance_whose_task_ended_for_good_unfinished_can_be_started_again(
    admin, django_capture_on_commit_callbacks
):
    test_clock = clock_create(actor=admin, name="Killed worker", frozen_time=START)
    with django_capture_on_commit_callbacks(execute=True):
        clock_advance(actor=admin, clock_id=test_clock.pk, to=RENEWAL)
    with pytest.raises(Conflict, match="already advancing"):
        clock_advance(actor=admin, clock_id=test_clock.pk, to=TARGET)

    # The worker running it was killed on every attempt: the reaper ended the task for good.
    task = TaskKey.objects.get(key=f"test-clock-advance:{test_clock.pk}").task_result
    DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        again = clock_advance(actor=admin, clock_id=test_clock.pk, to=TARGET)
    assert (again.status, again.target_time) == (TestClockStatus.ADVANCING, TARGET)
    fresh = TaskKey.objects.get(key=f"test-clock-advance:{test_clock.pk}").task_result
    assert fresh.pk != task.pk and fresh.status == TaskResultStatus.READY
    assert clock_run(clock_id=test_clock.pk).frozen_time == TARGET
