"""A failure that persists until someone fixes it is raised `until_resolved`: its open alert keeps
counting past ALERT_DEDUPE_WINDOW and nobody is emailed again; once resolved, the next raise opens
a new alert and emails. Time is moved by setting the alert's first_seen_at in the database."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from onboarding.alerts.failures import report_failure
from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import (
    ALERT_NOTIFICATION_KIND,
    admin_alert_acknowledge,
    admin_alert_raise,
    admin_alert_resolve,
)
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.notifications.relay import relay_drain
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


def _raise(**overrides) -> AdminAlert:
    fields = {
        "reason": "invoice_follow_up_failed",
        "message": "The PDF of invoice 7 could not be produced",
        "object_type": "billing.invoice",
        "object_id": "7",
    }
    fields.update(overrides)
    return admin_alert_raise(**fields)


def _window_passed(alert: AdminAlert, settings) -> None:
    """The alert was first seen longer ago than the dedupe window."""
    long_ago = timezone.now() - settings.ALERT_DEDUPE_WINDOW - timedelta(minutes=1)
    AdminAlert.objects.filter(pk=alert.pk).update(first_seen_at=long_ago, last_seen_at=long_ago)


def _emails_to(admin) -> int:
    return OutboxMessage.objects.filter(
        notification__kind=ALERT_NOTIFICATION_KIND,
        notification__recipient=admin,
        channel="email",
    ).count()


def test_an_until_resolved_alert_keeps_counting_past_the_window_without_a_second_email(
    admin_user, settings, smtp_mail
):
    first = _raise(until_resolved=True)
    _window_passed(first, settings)

    again = _raise(until_resolved=True)

    assert again.pk == first.pk
    alert = AdminAlert.objects.get()
    assert alert.count == 2
    assert alert.last_seen_at > alert.first_seen_at + settings.ALERT_DEDUPE_WINDOW
    assert alert.dedupe_key is not None  # still collecting
    assert _emails_to(admin_user) == 1
    relay_drain(worker_id="test-relay")
    wait_until(lambda: smtp_mail.sink.to(admin_user.email), what="the alert email")
    assert len(smtp_mail.sink.to(admin_user.email)) == 1


def test_a_default_alert_past_the_window_opens_a_new_alert_and_emails(admin_user, settings):
    first = _raise()
    _window_passed(first, settings)

    again = _raise()

    assert again.pk != first.pk
    assert again.count == 1
    assert AdminAlert.objects.get(pk=first.pk).dedupe_key is None
    assert _emails_to(admin_user) == 2


def test_an_acknowledged_until_resolved_alert_still_counts(admin_user, settings):
    first = _raise(until_resolved=True)
    admin_alert_acknowledge(alert_id=first.pk, actor=admin_user)
    _window_passed(first, settings)

    again = _raise(until_resolved=True)

    assert again.pk == first.pk
    assert (again.state, again.count) == (AlertState.ACKNOWLEDGED, 2)
    assert _emails_to(admin_user) == 1


def test_after_resolve_an_until_resolved_raise_opens_a_new_alert_and_emails(admin_user, settings):
    first = _raise(until_resolved=True)
    _window_passed(first, settings)
    admin_alert_resolve(alert_id=first.pk, actor=admin_user, note="stylesheet fixed")

    again = _raise(until_resolved=True)

    assert again.pk != first.pk
    assert (again.state, again.count) == (AlertState.OPEN, 1)
    assert AdminAlert.objects.get(pk=first.pk).state == AlertState.RESOLVED
    assert _emails_to(admin_user) == 2


def test_report_failure_passes_until_resolved_on(admin_user, settings):
    def report() -> None:
        report_failure(
            reason="document_delayed",
            user_message="Preparing the document takes too long",
            error=TimeoutError("no worker took the task"),
            until_resolved=True,
        )

    report()
    _window_passed(AdminAlert.objects.get(), settings)
    report()

    alert = AdminAlert.objects.get()
    assert (alert.reason, alert.count) == ("document_delayed", 2)
    assert Notification.objects.filter(kind=ALERT_NOTIFICATION_KIND).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_until_resolved_raises_past_the_window_all_count_on_the_open_alert(
    admin_user, settings
):
    first = _raise(until_resolved=True)
    _window_passed(first, settings)
    threads_count = 5
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def raise_once() -> None:
        try:
            barrier.wait()
            _raise(until_resolved=True)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_once) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    alert = AdminAlert.objects.get()
    assert alert.count == 1 + threads_count
    assert Notification.objects.filter(kind=ALERT_NOTIFICATION_KIND).count() == 1
