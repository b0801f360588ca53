"""A message the relay gives up on becomes an admin alert, through the relay's "outbox.dead"
event and the alerts app's consumer, within the same relay drain."""

from onboarding.alerts.models import AdminAlert
from onboarding.alerts.services import admin_alert_raise
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.notifications.relay import OUTBOX_DEAD_TOPIC, relay_drain
from tests.notifications.conftest import point_email_at, send
from tests.services import free_port


def test_a_dead_customer_email_is_an_alert_about_that_message(settings, customer):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    point_email_at(settings, free_port())  # nobody listens there
    notification = send(customer, "lost", channels=["email"])

    relay_drain(worker_id="test-relay")

    row = notification.deliveries.get()
    alert = AdminAlert.objects.get(reason="notification.undelivered")
    assert (alert.object_type, alert.object_id) == ("notifications.outboxmessage", str(row.pk))
    assert alert.customer_id == customer.pk
    assert alert.message.startswith(
        f"Could not deliver test.notice notification #{row.pk} after 1 attempt(s): "
    )
    assert alert.context == {
        "outbox_id": row.pk,
        "topic": "notification.email",
        "channel": "email",
        "attempts": 1,
        "last_error": row.last_error[:500],
        "dedupe_key": row.dedupe_key,
    }
    assert OutboxMessage.objects.get(topic=OUTBOX_DEAD_TOPIC).status == OutboxStatus.SENT


def test_an_alerts_own_email_failing_folds_into_one_alert_per_channel(settings, admin_user):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    point_email_at(settings, free_port())
    admin_alert_raise(reason="invoice_missing", message="Invoice 7 missing")

    relay_drain(worker_id="test-relay")

    # The first alert's email dies: one channel alert, whose own email dies too and counts on it.
    [channel_alert] = AdminAlert.objects.filter(reason="notification.undelivered")
    assert (channel_alert.object_type, channel_alert.object_id) == (
        "notifications.channel",
        "email",
    )
    assert channel_alert.customer_id is None
    assert channel_alert.message.startswith(
        "Admin alert notifications cannot be delivered by email: "
    )
    assert channel_alert.count == 2
    assert AdminAlert.objects.count() == 2
    assert not OutboxMessage.objects.filter(status__in=["pending", "retrying"]).exists()
