"""The notifications app's audit events (deliveries, reads, dead and re-queued outbox rows), one
typed function each: nothing else writes them."""

from django.db import models

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.core.roles import Role
from onboarding.notifications.models import Notification, OutboxMessage, OutboxStatus


def notification_delivered(
    *, message: OutboxMessage, notification: Notification, customer_id: int | None
) -> None:
    audit_record(
        action="notification.delivered",
        target=notification,
        customer_id=customer_id,
        changes={
            "channel": message.channel,
            "outbox_id": message.pk,
            "attempt": message.attempts,
            "kind": notification.kind,
        },
        message=f"{notification.kind} by {message.channel} to "
        f"{notification.to_email or notification.recipient.email}",
    )


def inbox_read(*, user, message=None, count: int = 1) -> None:
    """A person read a notice in their inbox (`message`), or marked `count` read at once. A
    customer's carries the customer id (the customer's id is its user's id): the health score's
    engagement factor counts unread notices and follows this (docs/health.md, "Triggers")."""
    customer_id = user.pk if user.role == Role.CUSTOMER else None
    audit_record(
        action="notification.read" if message is not None else "notification.read_all",
        actor=user,
        target=message if message is not None else user,
        customer_id=customer_id,
        changes={"count": count},
    )


def _given_up(
    *, action: str, target: models.Model, row: OutboxMessage, customer_id: int | None, error: str
) -> None:
    audit_record(
        action=action,
        target=target,
        customer_id=customer_id,
        outcome=Outcome.FAILURE,
        changes={"channel": row.channel, "outbox_id": row.pk, "attempts": row.attempts},
        message=error,
    )


def notification_failed(
    *, row: OutboxMessage, notification: Notification, customer_id: int | None, error: str
) -> None:
    """The outbox gave up on a notification's row: no more attempts."""
    _given_up(
        action="notification.failed",
        target=notification,
        row=row,
        customer_id=customer_id,
        error=error,
    )


def outbox_dead(*, row: OutboxMessage, customer_id: int | None, error: str) -> None:
    """The outbox gave up on an event's row (no notification behind it): no more attempts."""
    _given_up(action="outbox.dead", target=row, row=row, customer_id=customer_id, error=error)


def outbox_requeued(*, actor, message: OutboxMessage, customer_id: int | None) -> None:
    audit_record(
        action="outbox.requeued",
        actor=actor,
        target=message,
        customer_id=customer_id,
        changes={"status": [OutboxStatus.DEAD, OutboxStatus.PENDING]},
        message=f"{message.topic} re-queued after: {message.last_error[:200]}",
    )
