"""From the audit log to deliveries: new sealed entries past the cursor, and replays of a period.

The dispatcher reads entries in `seq` order (the order the sealer fixed), so an entry committed
late is still read: it is sealed, and so numbered, only after it committed. Each mapped entry
becomes one delivery per endpoint that wants its type, created in seq order; the sender keeps
that order per endpoint and customer. Endpoints registered after an entry occurred do not get it
(a replay does, on request).
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_seal_pending
from onboarding.webhooks.catalog import MAPPED_ACTIONS, event_body, event_type_for, webhook_id_for
from onboarding.webhooks.models import (
    DeliveryKind,
    DispatchCursor,
    ReplayState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookReplay,
)


def _sealed_after(seq: int):
    return AuditEntry.objects.filter(seq__gt=seq, action__in=MAPPED_ACTIONS).order_by("seq")


def _delivery(entry: AuditEntry, endpoint: WebhookEndpoint, kind: str) -> WebhookDelivery | None:
    event = event_type_for(entry)
    if event is None or not endpoint.wants(event.name):
        return None
    return WebhookDelivery(
        endpoint=endpoint,
        audit_entry_id=entry.pk,
        webhook_id=webhook_id_for(entry.pk),
        event_type=event.name,
        customer_key=entry.customer_id or 0,
        body=event_body(entry, event),
        kind=kind,
    )


def webhooks_dispatch(*, batch_size: int | None = None) -> int:
    """Turn the sealed entries past the cursor into deliveries, one batch; returns how many
    deliveries were created. The cursor row is locked, so two dispatchers never interleave."""
    batch_size = batch_size or settings.WEBHOOKS_DISPATCH_BATCH
    with transaction.atomic():
        cursor = (
            DispatchCursor.objects.select_for_update()
            .filter(id=DispatchCursor.SINGLETON_ID)
            .first()
        )
        if cursor is None:  # no endpoint was ever registered
            return 0
        last_seq = (
            AuditEntry.objects.filter(seq__gt=cursor.last_seq)
            .order_by("seq")
            .values_list("seq", flat=True)[batch_size - 1 : batch_size]
            .first()
        )
        entries = _sealed_after(cursor.last_seq)
        if last_seq is not None:
            entries = entries.filter(seq__lte=last_seq)
        entries = list(entries)
        if last_seq is None:
            last_seq = max([cursor.last_seq, *(e.seq for e in entries)])
        endpoints = list(WebhookEndpoint.objects.live())
        deliveries = [
            delivery
            for entry in entries
            for endpoint in endpoints
            if entry.occurred_at >= endpoint.created_at
            and (delivery := _delivery(entry, endpoint, DeliveryKind.LIVE)) is not None
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        if last_seq != cursor.last_seq:
            cursor.last_seq = last_seq
            cursor.save(update_fields=["last_seq"])
    return len(deliveries)


def webhooks_catch_up() -> int:
    """Seal what was recorded since the sealer's last pass, then dispatch it; returns the
    deliveries created. The sender calls this before each round, so an event leaves within a
    send period of its commit instead of waiting for the sealer's own (longer) period. Sealing
    is the audit log's own service, serialized by its lock; with no endpoint sending it is left
    to the sealer."""
    if not WebhookEndpoint.objects.sending().exists():
        return 0
    audit_seal_pending()
    return webhooks_dispatch()


def replays_advance(*, batch_size: int | None = None, now: datetime | None = None) -> int:
    """One batch of each running replay, oldest replay first; returns deliveries created."""
    batch_size = batch_size or settings.WEBHOOKS_REPLAY_BATCH
    created = 0
    for replay_id in (
        WebhookReplay.objects.filter(state=ReplayState.RUNNING)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        created += _replay_batch(replay_id=replay_id, batch_size=batch_size, now=now)
    return created


def _replay_batch(*, replay_id: int, batch_size: int, now: datetime | None) -> int:
    with transaction.atomic():
        replay = (
            WebhookReplay.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=replay_id, state=ReplayState.RUNNING)
            .first()
        )
        if replay is None:
            return 0
        entries = list(
            _sealed_after(replay.after_seq).filter(
                occurred_at__gte=replay.starts_at, occurred_at__lt=replay.ends_at
            )[:batch_size]
        )
        deliveries = [
            delivery
            for entry in entries
            if (delivery := _delivery(entry, replay.endpoint, DeliveryKind.REPLAY)) is not None
        ]
        WebhookDelivery.objects.bulk_create(deliveries)
        replay.queued += len(deliveries)
        if entries:
            replay.after_seq = entries[-1].seq
        if len(entries) < batch_size:
            replay.state = ReplayState.DONE
            replay.finished_at = now or timezone.now()
        replay.save(update_fields=["queued", "after_seq", "state", "finished_at"])
    return len(deliveries)
