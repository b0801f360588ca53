"""The outbox relay: delivers committed outbox rows at least once, with retries and backoff.

One pass (`relay_run_batch`):
1. claim up to OUTBOX_BATCH_SIZE due rows with a lease (locked_until/locked_by, attempts + 1) in
   one short transaction: FOR UPDATE SKIP LOCKED on PostgreSQL so several relays share the
   work; on SQLite the IMMEDIATE transaction serialises claims;
2. hand each row to its topic's consumer (registry.py), one shared resource set per batch (one
   SMTP connection);
3. record the outcome of each row in its own transaction right after the consumer returns:
   sent (with its audit entry), retrying (next attempt after an exponential, jittered delay) or
   dead (audit failure + an OUTBOX_DEAD_TOPIC event, which the alerts app turns into an admin
   alert).

Between passes the relay waits its poll interval, or less: on PostgreSQL a trigger on the outbox
table notifies OUTBOX_WAKEUP_CHANNEL when rows are committed, and a relay listening there
(wakeup.py) starts its next pass at once. The poll stays for what no insert announces (retries
and timers due later) and is the only way on SQLite.

A relay that dies holding a lease leaves its rows to the next relay once the lease runs out.
The only duplicate it can cause is a message the receiver accepted in the instant between
"accepted" and the commit of "sent": at most one per consumer call in flight when it died.
"""

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from onboarding.core import clock
from onboarding.core.backoff import backoff_seconds
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.context import request_context
from onboarding.core.roles import Role
from onboarding.notifications import events
from onboarding.notifications.models import OUTBOX_OPEN_STATES, OutboxMessage, OutboxStatus
from onboarding.notifications.registry import DeliveryBatch, PermanentDeliveryError, handler_for
from onboarding.notifications.services import outbox_publish
from onboarding.notifications.wakeup import Wakeup, listening_supported, wait_or_stop

logger = logging.getLogger(__name__)

_ERROR_LIMIT = 2000

# Published when a message is declared dead, in the transaction that marks it dead. Payload:
# outbox_id, topic, channel, attempts, dedupe_key (of the dead message), error, customer_id
# (the recipient, when a customer), notification_kind (None for an integration event).
OUTBOX_DEAD_TOPIC = "outbox.dead"

# Notified on commit by the outbox table's triggers (migration 0004), PostgreSQL only.
OUTBOX_WAKEUP_CHANNEL = "outbox_wakeup"


def relay_wakeup() -> Wakeup | None:
    """A listener on OUTBOX_WAKEUP_CHANNEL on PostgreSQL; None elsewhere (the relay polls)."""
    return Wakeup(OUTBOX_WAKEUP_CHANNEL) if listening_supported() else None


@dataclass
class RelayStats:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    lost: int = 0  # outcomes not recorded because another relay took the lease over

    def add(self, other: "RelayStats") -> None:
        for name in ("claimed", "sent", "retrying", "dead", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def relay_worker_id() -> str:
    """Unique per relay process (a restarted relay on the same pid is a different worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:120]


def retry_delay_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Delay after the `attempts`-th failure: the shared backoff rule on the outbox's settings."""
    return backoff_seconds(
        attempts,
        base=settings.OUTBOX_RETRY_BASE_SECONDS,
        cap=settings.OUTBOX_RETRY_MAX_SECONDS,
        rng=rng,
    )


def outbox_claim(*, worker_id: str, limit: int, now: datetime | None = None) -> list[OutboxMessage]:
    """Lease up to `limit` due rows to `worker_id`, counting the attempt now (before sending)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = OutboxMessage.objects.claimable(now).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboxMessage.objects.filter(pk__in=ids).update(
            locked_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
            locked_by=worker_id,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        claimed = OutboxMessage.objects.filter(pk__in=ids).select_related("notification__recipient")
        # Urgent topics (the real-time risk queue) go first within the batch, before emails.
        urgent = frozenset(settings.OUTBOX_URGENT_TOPICS)
        return sorted(claimed, key=lambda m: (m.topic not in urgent, m.next_attempt_at, m.pk))


def _customer_id_of(message: OutboxMessage) -> int | None:
    notification = message.notification
    if notification is None or notification.recipient.role != Role.CUSTOMER:
        return None
    return notification.recipient_id


def _record_sent(message: OutboxMessage, *, worker_id: str) -> bool:
    """Mark the row sent if this worker still holds it; audit a notification's delivery."""
    now = timezone.now()
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk, locked_by=worker_id, status__in=OUTBOX_OPEN_STATES
        ).update(
            status=OutboxStatus.SENT, sent_at=now, locked_until=None, last_error="", updated_at=now
        )
        if updated and message.notification is not None:
            events.notification_delivered(
                message=message,
                notification=message.notification,
                customer_id=_customer_id_of(message),
            )
    return bool(updated)


def _publish_dead(row: OutboxMessage, error: str) -> None:
    """Tell whoever watches (the alerts app) that `row` is dead, in the caller's transaction."""
    notification = row.notification
    outbox_publish(
        topic=OUTBOX_DEAD_TOPIC,
        payload={
            "outbox_id": row.pk,
            "topic": row.topic,
            "channel": row.channel,
            "attempts": row.attempts,
            "dedupe_key": row.dedupe_key,
            "error": error,
            "customer_id": _customer_id_of(row),
            "notification_kind": notification.kind if notification else None,
        },
        # One event per death: a message re-queued by an admin may die again.
        dedupe_key=f"{OUTBOX_DEAD_TOPIC}:{row.pk}:{uuid.uuid4().hex}",
    )


def _report_lost_alert(row: OutboxMessage, error: str) -> None:
    """A dead message whose alert cannot travel as an OUTBOX_DEAD_TOPIC event (the event itself
    died, which must not publish another and loop, or publishing it failed) is logged at
    CRITICAL and mailed to settings.ADMINS, so the lost alert is never silent."""
    is_dead_event = row.topic == OUTBOX_DEAD_TOPIC
    dead_id = row.payload.get("outbox_id") if is_dead_event else row.pk
    logger.critical(
        "a dead outbox message could not be reported as an admin alert",
        extra={"outbox_id": row.pk, "topic": row.topic, "error": error},
    )
    # The dead message's error may quote what someone typed; admins' mail gets no card number.
    # Only a dead-event's payload (ids, topic, error) is quoted: another message's payload may
    # hold what only its recipient may read.
    detail = f"\n\nPayload: {row.payload}" if is_dead_event else ""
    mail_admins(
        subject=f"Outbox message #{dead_id} is dead and its alert was lost",
        message=mask_card_numbers(
            f"Outbox message #{row.pk} ({row.topic}) could not be delivered after "
            f"{row.attempts} attempt(s): {error}{detail}"
        ),
        fail_silently=True,
    )


def _record_failure(
    message: OutboxMessage,
    *,
    worker_id: str,
    error: str,
    permanent: bool,
    now: datetime,
) -> str:
    """Schedule a retry, or declare the row dead (audit + OUTBOX_DEAD_TOPIC event). Returns the
    new state."""
    error = error[:_ERROR_LIMIT]
    lost_event = False
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(of=("self",))
            .select_related("notification__recipient")
            .filter(pk=message.pk, locked_by=worker_id, status__in=OUTBOX_OPEN_STATES)
            .first()
        )
        if row is None:
            return "lost"
        row.last_error = error
        row.locked_until = None
        if not (permanent or row.attempts >= settings.OUTBOX_MAX_ATTEMPTS):
            row.status = OutboxStatus.RETRYING
            row.next_attempt_at = now + timedelta(seconds=retry_delay_seconds(row.attempts))
            row.save()
            return OutboxStatus.RETRYING
        row.status = OutboxStatus.DEAD
        row.save()
        notification = row.notification
        if notification:
            events.notification_failed(
                row=row, notification=notification, customer_id=_customer_id_of(row), error=error
            )
        else:
            events.outbox_dead(row=row, customer_id=_customer_id_of(row), error=error)
        if row.topic != OUTBOX_DEAD_TOPIC:
            try:
                with transaction.atomic():
                    _publish_dead(row, error)
            except Exception:
                # The row stays dead and audited whatever happens to its event; the admins
                # still hear of it, by mail, after commit.
                logger.critical(
                    "the outbox.dead event for message %s failed", row.pk, exc_info=True
                )
                lost_event = True
    if row.topic == OUTBOX_DEAD_TOPIC or lost_event:
        # After commit: mailing is network I/O, and the row is dead and audited whatever it does.
        _report_lost_alert(row, error)
    return OutboxStatus.DEAD


def _lease_is_ours(message: OutboxMessage, *, worker_id: str, now: datetime) -> bool:
    """Before sending: is this row still leased to us? Renew the lease once half of it is used.

    A row under an unexpired lease cannot be claimed by anyone else, so the common case costs no
    query. Late in a slow batch the lease is renewed in one conditional UPDATE, which also tells
    us whether another relay claimed the row after our lease ran out (then we must not send).
    """
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    if message.locked_until is not None and message.locked_until - now > lease / 2:
        return True
    renewed_until = now + lease
    with transaction.atomic():
        renewed = OutboxMessage.objects.filter(
            pk=message.pk, locked_by=worker_id, status__in=OUTBOX_OPEN_STATES
        ).update(locked_until=renewed_until, updated_at=now)
    if renewed:
        message.locked_until = renewed_until
    return bool(renewed)


class _LeaseLost(Exception):
    """A transactional handler finished after another relay took the row's lease over."""


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"


def outbox_deliver(
    message: OutboxMessage, *, worker_id: str, batch: DeliveryBatch, now: datetime | None = None
) -> str:
    """Deliver one claimed row and record the outcome: "sent", "retrying", "dead" or "lost"."""
    with request_context():
        return _deliver(message, worker_id=worker_id, batch=batch, now=now or timezone.now())


def _deliver(message: OutboxMessage, *, worker_id: str, batch: DeliveryBatch, now: datetime) -> str:
    log = {
        "outbox_id": message.pk,
        "topic": message.topic,
        "attempt": message.attempts,
        "origin_request_id": message.request_id,
    }
    if not _lease_is_ours(message, worker_id=worker_id, now=now):
        logger.warning("outbox message skipped: another relay took its lease over", extra=log)
        return "lost"
    if message.attempts > settings.OUTBOX_MAX_ATTEMPTS:
        # The relay holding the final attempt died before recording it.
        error = "the relay stopped during the final attempt without recording its outcome"
        state = _record_failure(message, worker_id=worker_id, error=error, permanent=True, now=now)
        logger.error("outbox message dead", extra={**log, "error": error})
        return state
    spec = handler_for(message.topic)
    try:
        if spec is None:
            raise LookupError(f"no outbox handler is registered for topic {message.topic!r}")
        stamp = message.payload.get(clock.OUTBOX_KEY) if isinstance(message.payload, dict) else None
        if spec.transactional:
            with transaction.atomic(), clock.simulated_from(stamp):
                spec.handler(message, batch)
                if not _record_sent(message, worker_id=worker_id):
                    # Another relay holds the row now and delivers it: the handler's writes
                    # must not commit beside theirs, so they roll back with this transaction.
                    raise _LeaseLost
            recorded = True
        else:
            with clock.simulated_from(stamp):
                spec.handler(message, batch)
    except _LeaseLost:
        logger.warning("outbox message handled after its lease was taken over", extra=log)
        return "lost"
    except Exception as exc:
        permanent = isinstance(exc, PermanentDeliveryError)
        # A handler's error may quote what someone typed (a mail server echoing a line, a
        # validation message): the row, the log and the admins' alert get it masked.
        error = mask_card_numbers(_describe(exc))
        state = _record_failure(
            message, worker_id=worker_id, error=error, permanent=permanent, now=now
        )
        level = logging.ERROR if state == OutboxStatus.DEAD else logging.WARNING
        logger.log(level, "outbox delivery failed", extra={**log, "state": state, "error": error})
        return state
    if not spec.transactional:
        # Right after the receiver accepted: the smaller this gap, the rarer a duplicate.
        recorded = _record_sent(message, worker_id=worker_id)
    if not recorded:
        logger.warning("outbox message delivered after its lease was taken over", extra=log)
        return "lost"
    logger.info("outbox message delivered", extra=log)
    return OutboxStatus.SENT


def _release(messages: list[OutboxMessage], *, worker_id: str) -> None:
    """Hand unstarted rows back at once (graceful stop) and give back the attempt not made."""
    if not messages:
        return
    OutboxMessage.objects.filter(
        pk__in=[m.pk for m in messages], locked_by=worker_id, status__in=OUTBOX_OPEN_STATES
    ).update(locked_until=None, locked_by="", attempts=F("attempts") - 1)


def relay_run_batch(
    *,
    worker_id: str,
    batch_size: int | None = None,
    now: datetime | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RelayStats:
    """Claim one batch and deliver it. `now` lets tests stand at a later moment."""
    stats = RelayStats()
    messages = outbox_claim(
        worker_id=worker_id, limit=batch_size or settings.OUTBOX_BATCH_SIZE, now=now
    )
    stats.claimed = len(messages)
    batch = DeliveryBatch()
    try:
        for index, message in enumerate(messages):
            if should_stop():
                _release(messages[index:], worker_id=worker_id)
                break
            state = str(outbox_deliver(message, worker_id=worker_id, batch=batch, now=now))
            setattr(stats, state, getattr(stats, state) + 1)
    finally:
        batch.close()
    return stats


def relay_drain(
    *,
    worker_id: str,
    batch_size: int | None = None,
    now: datetime | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RelayStats:
    """Run batches until nothing is due (rows waiting for a later retry are left)."""
    total = RelayStats()
    while not should_stop():
        stats = relay_run_batch(
            worker_id=worker_id, batch_size=batch_size, now=now, should_stop=should_stop
        )
        total.add(stats)
        if stats.claimed == 0:
            break
    return total


def relay_loop(
    *,
    worker_id: str,
    interval: float,
    stop: threading.Event,
    batch_size: int | None = None,
    ticks: Sequence[Callable[[], object]] = (),
    wakeup: Wakeup | None = None,
) -> RelayStats:
    """Deliver until `stop` is set: run the ticks (due timers, which may write outbox rows),
    drain, then wait `interval`, or until `wakeup` hears of a committed row, or until stopped;
    repeat."""
    total = RelayStats()
    try:
        while not stop.is_set():
            _relay_pass(
                worker_id=worker_id, stop=stop, batch_size=batch_size, ticks=ticks, total=total
            )
            wait_or_stop(wakeup, interval, stop)
    finally:
        if wakeup is not None:
            wakeup.close()
    return total


def _relay_pass(
    *,
    worker_id: str,
    stop: threading.Event,
    batch_size: int | None,
    ticks: Sequence[Callable[[], object]],
    total: RelayStats,
) -> None:
    close_old_connections()
    try:
        for tick in ticks:
            tick()
        stats = relay_drain(worker_id=worker_id, batch_size=batch_size, should_stop=stop.is_set)
    except Exception:
        # The database or a consumer is down: the rows are safe; try again next round.
        logger.exception("relay pass failed")
        connection.close()
        stats = RelayStats()
    total.add(stats)
    if stats.claimed:
        logger.info(
            "relay pass",
            extra={"sent": stats.sent, "retrying": stats.retrying, "dead": stats.dead},
        )
