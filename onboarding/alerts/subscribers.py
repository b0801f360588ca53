"""Outbox consumers of the alerts app: failures reported by the floors below become alerts."""

from onboarding.alerts.services import ALERT_NOTIFICATION_KIND, admin_alert_raise
from onboarding.notifications.models import OutboxMessage
from onboarding.notifications.registry import DeliveryBatch


def outbox_message_dead(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """Consumer of the relay's "outbox.dead" (transactional): a message the relay gave up on is
    an alert about that message, or, when it is an alert's own notification, one alert per
    channel."""
    dead = message.payload
    error = dead["error"]
    channel, topic, kind = dead["channel"], dead["topic"], dead["notification_kind"]
    context = {
        "outbox_id": dead["outbox_id"],
        "topic": topic,
        "channel": channel,
        "attempts": dead["attempts"],
        "last_error": error[:500],
        "dedupe_key": dead["dedupe_key"],
    }
    if kind == ALERT_NOTIFICATION_KIND:
        # An alert's own email failing must not raise one new alert (and email) per failure:
        # count them all on the channel: one open alert until someone fixes the channel.
        admin_alert_raise(
            reason="notification.undelivered",
            message=f"Admin alert notifications cannot be delivered by {channel}: {error}",
            object_type="notifications.channel",
            object_id=channel or topic,
            context=context,
            until_resolved=True,
        )
        return
    notification = kind is not None
    what = f"{kind} notification" if notification else f"{topic} event"
    admin_alert_raise(
        reason="notification.undelivered" if notification else "outbox.undelivered",
        message=f"Could not deliver {what} #{dead['outbox_id']} after {dead['attempts']} "
        f"attempt(s): {error}",
        object_type=OutboxMessage._meta.label_lower,
        object_id=str(dead["outbox_id"]),
        customer_id=dead["customer_id"],
        context=context,
    )
