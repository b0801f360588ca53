import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import (
    ALERT_NOTIFICATION_KIND,
    admin_alert_raise,
    admin_alert_resolve,
)
from onboarding.audit.models import AuditEntry
from onboarding.core.roles import Role
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.notifications.relay import relay_drain
from tests.factories import UserFactory, staff_user
from tests.probes.tasks import worker_probe
from tests.waiting import wait_until


def _raise(**overrides) -> AdminAlert:
    fields = {
        "reason": "invoice_missing",
        "message": "Invoice for contract 7 was not generated",
        "object_type": "billing.invoice",
        "object_id": "7",
        "context": {"contract": 7},
    }
    fields.update(overrides)
    return admin_alert_raise(**fields)


def _alert_notifications():
    return Notification.objects.filter(kind=ALERT_NOTIFICATION_KIND)


def test_repeats_within_the_window_count_on_one_alert(admin_user):
    first = _raise()
    second = _raise()
    third = _raise()

    assert first.pk == second.pk == third.pk
    alert = AdminAlert.objects.get()
    assert alert.count == 3
    assert alert.last_seen_at >= alert.first_seen_at
    assert alert.state == AlertState.OPEN


def test_repeats_within_the_window_notify_each_admin_once(admin_user):
    other_admin = staff_user(Role.ADMIN)
    staff_user(Role.SYSOPS)
    UserFactory(role=Role.ADMIN, is_active=False)

    for _ in range(3):
        alert = _raise()

    notifications = _alert_notifications()
    assert sorted(n.recipient_id for n in notifications) == sorted([admin_user.pk, other_admin.pk])
    assert {n.dedupe_key for n in notifications} == {
        f"alert:{alert.pk}:occurrence:1:admin:{admin_user.pk}",
        f"alert:{alert.pk}:occurrence:1:admin:{other_admin.pk}",
    }
    assert all(sorted(n.channels) == ["email", "in_app"] for n in notifications)
    # One outbox row per channel and admin, waiting for the relay.
    assert OutboxMessage.objects.filter(notification__in=notifications).count() == 4


def test_a_raise_after_the_window_opens_a_new_alert_and_notifies_again(admin_user, settings):
    old = _raise()
    AdminAlert.objects.filter(pk=old.pk).update(
        first_seen_at=timezone.now() - settings.ALERT_DEDUPE_WINDOW - timedelta(seconds=1)
    )

    new = _raise()

    assert new.pk != old.pk
    assert new.count == 1
    old.refresh_from_db()
    assert old.count == 1
    assert old.dedupe_key is None
    assert _alert_notifications().count() == 2


def test_a_raise_after_resolve_opens_a_new_alert(admin_user):
    old = _raise()
    admin_alert_resolve(alert_id=old.pk, actor=admin_user, note="fixed the invoice job")

    new = _raise()

    assert new.pk != old.pk
    assert new.state == AlertState.OPEN
    assert AdminAlert.objects.get(pk=old.pk).state == AlertState.RESOLVED


def test_other_objects_and_reasons_are_separate_alerts(admin_user):
    _raise()
    _raise(object_id="8")
    _raise(reason="payment_incomplete")

    assert AdminAlert.objects.count() == 3
    assert set(AdminAlert.objects.values_list("count", flat=True)) == {1}


def test_a_repeat_with_higher_severity_raises_the_alerts_severity(admin_user):
    _raise(severity="warning")
    alert = _raise(severity="critical")

    assert alert.severity == "critical"


def test_the_alert_links_to_the_objects_own_page(admin_user):
    other = _raise()

    alert = _raise(reason="alert_about_alert", object_type="", object_id="", target=other)

    assert alert.object_type == "alerts.adminalert"
    assert alert.object_id == str(other.pk)
    assert alert.object_url == f"/staff/alerts/{other.pk}/"


def test_the_alert_links_to_the_admin_page_of_an_object_without_one(admin_user):
    task_result = worker_probe.enqueue(key="link").db_result

    alert = _raise(reason="task_failed", object_type="", object_id="", target=task_result)

    assert alert.object_type == DBTaskResult._meta.label_lower
    assert alert.object_url == (
        f"/admin/{DBTaskResult._meta.app_label}/dbtaskresult/{task_result.pk}/change/"
    )


def test_an_object_named_by_type_and_id_is_linked_too(admin_user):
    other = _raise()

    alert = _raise(reason="by_label", object_type="alerts.adminalert", object_id=str(other.pk))

    assert alert.object_url == f"/staff/alerts/{other.pk}/"


def test_an_unknown_object_type_is_recorded_without_a_link(admin_user):
    alert = _raise(object_type="nowhere.nothing", object_id="x")

    assert alert.object_url == ""
    assert alert.object_label == "nowhere.nothing:x"


def test_context_values_that_json_cannot_hold_are_stored_as_text(admin_user):
    alert = _raise(
        context={"amount": Decimal("12.50"), "at": timezone.now(), "obj": object(), "n": 3}
    )

    alert.refresh_from_db()
    assert alert.context["amount"] == "12.50"
    assert alert.context["n"] == 3
    assert alert.context["obj"].startswith("<object object")


def test_every_raise_is_audited_as_a_failure(admin_user):
    _raise(customer_id=42)
    _raise(customer_id=42)

    entries = AuditEntry.objects.filter(action="alert.raised")
    assert entries.count() == 2
    entry = entries.first()
    assert entry.outcome == "failure"
    assert entry.object_type == "billing.invoice"
    assert entry.object_id == "7"
    assert entry.customer_id == 42
    assert entry.changes["reason"] == "invoice_missing"


def test_a_raise_inside_a_transaction_that_rolls_back_leaves_nothing(admin_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        _raise()
        raise RuntimeError("the caller's transaction fails after raising")

    assert not AdminAlert.objects.exists()
    assert not _alert_notifications().exists()


def test_an_unknown_severity_is_a_programming_error(admin_user):
    with pytest.raises(ValueError):
        _raise(severity="loud")


def test_the_admin_email_reaches_the_smtp_server_after_the_relay_runs(admin_user, smtp_mail):
    alert = _raise(context={"contract": 7, "step": "generate"})

    relay_drain(worker_id="test-relay")

    mail = wait_until(lambda: smtp_mail.sink.to(admin_user.email), what="the alert email")[0]
    assert "invoice_missing" in mail.subject
    text = mail.text()
    assert "Invoice for contract 7 was not generated" in text
    assert f"/staff/alerts/{alert.pk}/" in text
    assert '"step": "generate"' in text
    assert f"/staff/alerts/{alert.pk}/" in mail.html()


@pytest.mark.django_db(transaction=True)
def test_concurrent_raises_count_every_occurrence_on_one_alert(admin_user):
    """On PostgreSQL the raises meet on the alert's row lock and its unique key. On SQLite each
    transaction takes the database's one write lock when it begins (IMMEDIATE), so the raises run
    one after another: that leg proves they wait their turn instead of failing with "database is
    locked", and that each later raise counts on the alert the first one opened."""
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def raise_once() -> None:
        try:
            barrier.wait()
            _raise()
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
    assert alert.count == threads_count
    assert _alert_notifications().count() == 1
