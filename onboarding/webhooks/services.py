"""Admins' writes: register, change, pause and resume an endpoint, rotate its secret, resend a
delivery, and ask for a replay of a period. Only admins (require_admin records refusals); each
success is audited in its transaction. Sending happens in the worker (delivery.py)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from onboarding.alerts.permissions import require_admin
from onboarding.audit.models import AuditEntry
from onboarding.core.errors import DomainError, NotFound
from onboarding.webhooks import events
from onboarding.webhooks.catalog import EVENT_TYPE_NAMES
from onboarding.webhooks.guard import url_check
from onboarding.webhooks.models import (
    DeliveryKind,
    DeliveryStatus,
    DispatchCursor,
    ReplayState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookReplay,
)
from onboarding.webhooks.signing import secret_generate

MAX_EVENT_TYPES = len(EVENT_TYPE_NAMES)


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint and its new secret: the only time the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def _row_id(value, missing: str) -> int:
    """An id a client sent, or NotFound: a number past the database's integers is no row (and
    never reaches the SQL, where SQLite's driver cannot bind it)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        raise NotFound(missing)
    return number


def webhooks_require_admin(actor, *, object_id: str = "") -> None:
    require_admin(actor, refused=events.webhooks_refused, object_id=object_id)


def _event_types_clean(event_types: list[str] | None) -> list[str]:
    wanted = list(dict.fromkeys(event_types or []))
    unknown = [name for name in wanted if name not in EVENT_TYPE_NAMES]
    if unknown:
        raise DomainError(
            gettext("Unknown event type: %(names)s.") % {"names": ", ".join(sorted(unknown))[:200]},
            field="event_types",
        )
    return wanted


def _url_clean(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise DomainError(gettext("The URL may be at most 500 characters."), field="url")
    url_check(url)
    return url


def _cursor_start() -> None:
    """The dispatcher starts at the end of the sealed log when the first endpoint appears, rather
    than sending the whole history (a replay does that on request)."""
    if not DispatchCursor.objects.exists():
        last = AuditEntry.objects.aggregate(last=Max("seq"))["last"] or 0
        DispatchCursor.objects.get_or_create(
            id=DispatchCursor.SINGLETON_ID, defaults={"last_seq": last}
        )


def endpoint_create(
    *, actor, url: str, description: str = "", event_types: list[str] | None = None
) -> EndpointWithSecret:
    webhooks_require_admin(actor)
    wanted = _event_types_clean(event_types)
    url = _url_clean(url)  # last: it asks the DNS
    secret = secret_generate()
    with transaction.atomic():
        _cursor_start()
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            description=(description or "").strip()[:200],
            event_types=wanted,
            secret=secret,
            created_by=actor,
        )
        events.endpoint_created(actor=actor, endpoint=endpoint)
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def _endpoint_locked(endpoint_id: int) -> WebhookEndpoint:
    endpoint_id = _row_id(endpoint_id, gettext("No such webhook endpoint."))
    endpoint = WebhookEndpoint.objects.live().select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(gettext("No such webhook endpoint."))
    return endpoint


_UNSET = object()


def endpoint_update(
    *,
    actor,
    endpoint_id: int,
    url=_UNSET,
    description=_UNSET,
    event_types=_UNSET,
    paused=_UNSET,
) -> WebhookEndpoint:
    """Change what is given. Resuming (paused=False) also re-enables an endpoint the retries
    disabled: its waiting deliveries go out again, in order."""
    webhooks_require_admin(actor, object_id=str(endpoint_id))
    if event_types is not _UNSET:
        event_types = _event_types_clean(event_types)
    if url is not _UNSET:
        url = _url_clean(url)
    with transaction.atomic():
        endpoint = _endpoint_locked(endpoint_id)
        changes: dict[str, list] = {}
        for name, value in (
            ("url", url),
            ("description", description if description is _UNSET else (description or "")[:200]),
            ("event_types", event_types),
            ("paused", paused),
        ):
            if value is not _UNSET and getattr(endpoint, name) != value:
                changes[name] = [getattr(endpoint, name), value]
                setattr(endpoint, name, value)
        if paused is False and endpoint.disabled_at is not None:
            changes["disabled_at"] = [endpoint.disabled_at, None]
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
            # The deliveries held behind the failed one are due now, not at their old times.
            endpoint.deliveries.pending().update(next_attempt_at=timezone.now())
        if changes:
            endpoint.save()
            events.endpoint_updated(actor=actor, endpoint=endpoint, changes=changes)
    return endpoint


def endpoint_secret_rotate(
    *, actor, endpoint_id: int, overlap_seconds: int | None = None, now: datetime | None = None
) -> EndpointWithSecret:
    """A new secret; the current one keeps signing (a second signature) for `overlap_seconds`
    (settings.WEBHOOKS_SECRET_OVERLAP_SECONDS), then stops."""
    webhooks_require_admin(actor, object_id=str(endpoint_id))
    now = now or timezone.now()
    if overlap_seconds is None:
        overlap_seconds = settings.WEBHOOKS_SECRET_OVERLAP_SECONDS
    if not 0 <= overlap_seconds <= 30 * 86400:
        raise DomainError(gettext("The overlap must be 0 to 30 days."), field="overlap_seconds")
    secret = secret_generate()
    with transaction.atomic():
        endpoint = _endpoint_locked(endpoint_id)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds)
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        events.endpoint_secret_rotated(actor=actor, endpoint=endpoint)
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def delivery_resend(*, actor, endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """The same event (same webhook-id, same body) queued again for its endpoint, after every
    delivery already waiting for the same customer."""
    webhooks_require_admin(actor, object_id=str(endpoint_id))
    original = WebhookDelivery.objects.filter(
        pk=_row_id(delivery_id, gettext("No such delivery for this endpoint.")),
        endpoint_id=_row_id(endpoint_id, gettext("No such webhook endpoint.")),
        endpoint__deleted_at__isnull=True,
    ).first()
    if original is None:
        raise NotFound(gettext("No such delivery for this endpoint."))
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint_id=endpoint_id,
            audit_entry_id=original.audit_entry_id,
            webhook_id=original.webhook_id,
            event_type=original.event_type,
            customer_key=original.customer_key,
            body=original.body,
            kind=DeliveryKind.RESEND,
            status=DeliveryStatus.PENDING,
        )
        events.delivery_resent(actor=actor, delivery=delivery, original=original)
    return delivery


def replay_request(
    *, actor, endpoint_id: int, starts_at: datetime, ends_at: datetime
) -> WebhookReplay:
    """Queue every event of [starts_at, ends_at) again for one endpoint, oldest first; the worker
    reads a batch per tick (dispatch.py)."""
    webhooks_require_admin(actor, object_id=str(endpoint_id))
    if starts_at >= ends_at:
        raise DomainError(gettext("The period must end after it starts."), field="ends_at")
    endpoint_id = _row_id(endpoint_id, gettext("No such webhook endpoint."))
    if not WebhookEndpoint.objects.live().filter(pk=endpoint_id).exists():
        raise NotFound(gettext("No such webhook endpoint."))
    with transaction.atomic():
        replay = WebhookReplay.objects.create(
            endpoint_id=endpoint_id, starts_at=starts_at, ends_at=ends_at, created_by=actor
        )
        events.replay_requested(actor=actor, replay=replay)
    return replay


def endpoint_delete(*, actor, endpoint_id: int, now: datetime | None = None) -> int:
    """Delete an endpoint; returns how many pending deliveries were cancelled.

    Not refused while deliveries are pending (a receiver gone for good would otherwise keep its
    endpoint for the 3 days of retries): they are cancelled, and the audit entry says how many.
    The row and its delivery log stay for the audit trail (the Django admin shows them); it
    leaves pages, the API and the dispatcher, and its secrets are wiped. The dispatch cursor is
    locked first, so no dispatch running now can queue a delivery for it afterwards."""
    webhooks_require_admin(actor, object_id=str(endpoint_id))
    now = now or timezone.now()
    with transaction.atomic():
        DispatchCursor.objects.select_for_update().filter(id=DispatchCursor.SINGLETON_ID).first()
        endpoint = _endpoint_locked(endpoint_id)
        running = endpoint.replays.select_for_update().filter(state=ReplayState.RUNNING)
        for replay in running:
            replay.state, replay.finished_at = ReplayState.DONE, now
            replay.save(update_fields=["state", "finished_at"])
        cancelled = endpoint.deliveries.pending().update(
            status=DeliveryStatus.CANCELLED, finished_at=now, last_error="endpoint deleted"
        )
        endpoint.deleted_at, endpoint.deleted_by = now, actor
        endpoint.secret = endpoint.previous_secret = ""
        endpoint.previous_secret_expires_at = None
        endpoint.save()
        events.endpoint_deleted(actor=actor, endpoint=endpoint, cancelled=cancelled)
    return cancelled
