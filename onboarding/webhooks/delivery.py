"""Sending: the worker POSTs due deliveries, records each attempt, and retries with backoff.

A delivery is due when it is pending, its time has come, its endpoint is sending (neither paused
nor disabled), and no earlier delivery of the same endpoint and customer is still pending: a
receiver sees one customer's events in order, even across an outage. Failures retry with
exponential backoff and jitter (core.backoff) for settings.WEBHOOKS_RETRY_FOR_SECONDS from the
first attempt; then the delivery fails, the endpoint is disabled (its later deliveries wait) and
admins are alerted once. An admin resumes the endpoint to send the rest.

Attempts run outside any transaction: a claim moves `next_attempt_at` past a lease first, so a
second worker skips the row, and a worker that dies mid-request leaves it due again later.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from onboarding.alerts.services import admin_alert_raise
from onboarding.core.backoff import backoff_seconds
from onboarding.webhooks import events
from onboarding.webhooks.guard import UnsafeURL, url_check
from onboarding.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from onboarding.webhooks.sender import SendResult, post
from onboarding.webhooks.signing import signature_header

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120
DISABLED_ALERT = "webhook_endpoint_disabled"


def deliveries_due(*, now: datetime, limit: int):
    earlier_pending = WebhookDelivery.objects.pending().filter(
        endpoint_id=OuterRef("endpoint_id"),
        customer_key=OuterRef("customer_key"),
        pk__lt=OuterRef("pk"),
    )
    return (
        WebhookDelivery.objects.pending()
        .filter(next_attempt_at__lte=now, endpoint__in=WebhookEndpoint.objects.sending())
        .exclude(Exists(earlier_pending))
        .order_by("pk")[:limit]
    )


def _claim(delivery: WebhookDelivery, now: datetime) -> bool:
    """Take the delivery for one attempt (compare and set on next_attempt_at)."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, next_attempt_at=delivery.next_attempt_at
    ).update(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
    return claimed == 1


def _send(delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> SendResult:
    try:
        # Checked again at each send: the name may resolve elsewhere since it was registered.
        target = url_check(endpoint.url)
    except UnsafeURL as refusal:
        return SendResult(status_code=None, excerpt="", error=refusal.message[:300], duration_ms=0)
    timestamp = int(now.timestamp())
    headers = {
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            signing_secrets=endpoint.signing_secrets(now=now),
            webhook_id=delivery.webhook_id,
            timestamp=timestamp,
            body=delivery.body,
        ),
    }
    return post(target=target, body=delivery.body.encode(), headers=headers)


def _retry_at(delivery: WebhookDelivery, now: datetime) -> datetime | None:
    """When to try again after this failure, or None when the retry period is over."""
    first = delivery.first_attempt_at or now
    if (now - first).total_seconds() >= settings.WEBHOOKS_RETRY_FOR_SECONDS:
        return None
    wait = backoff_seconds(
        delivery.attempts,
        base=settings.WEBHOOKS_RETRY_BASE_SECONDS,
        cap=settings.WEBHOOKS_RETRY_MAX_SECONDS,
    )
    return now + timedelta(seconds=wait)


def _record(delivery: WebhookDelivery, result: SendResult, now: datetime) -> None:
    # Its endpoint was deleted while the request was out: a failure is not retried.
    cancelled = delivery.status == DeliveryStatus.CANCELLED
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error or (
        "" if result.succeeded else f"answered {result.status_code}"
    )
    next_at = None
    if result.succeeded:
        delivery.status, delivery.finished_at = DeliveryStatus.SUCCEEDED, now
    elif not cancelled:
        next_at = _retry_at(delivery, now)
        if next_at is None:
            delivery.status, delivery.finished_at = DeliveryStatus.FAILED, now
        else:
            delivery.next_attempt_at = next_at
    with transaction.atomic():
        delivery.save()
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            response_excerpt=result.excerpt,
            error=delivery.last_error,
            succeeded=result.succeeded,
            next_attempt_at=next_at,
        )
        if delivery.status == DeliveryStatus.FAILED:
            _endpoint_disable(delivery=delivery, now=now)


def _endpoint_disable(*, delivery: WebhookDelivery, now: datetime) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if endpoint.disabled_at is not None:
        return
    days = settings.WEBHOOKS_RETRY_FOR_SECONDS / 86400
    endpoint.disabled_at = now
    endpoint.disabled_reason = (
        f"{delivery.webhook_id} failed for {days:g} days ({delivery.last_error})"[:200]
    )
    endpoint.save(update_fields=["disabled_at", "disabled_reason"])
    events.endpoint_disabled(endpoint=endpoint, delivery=delivery)
    admin_alert_raise(
        reason=DISABLED_ALERT,
        message=(
            f"Webhook endpoint {endpoint.url} was disabled: {endpoint.disabled_reason}. "
            "Its later events wait; resume it once the receiver is back."
        ),
        target=endpoint,
        context={"delivery": delivery.pk, "attempts": delivery.attempts},
        until_resolved=True,
    )


def delivery_attempt(*, delivery: WebhookDelivery, now: datetime | None = None) -> bool:
    """Claim, send and record one delivery; False when another worker had it first."""
    now = now or timezone.now()
    if not _claim(delivery, now):
        return False
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    result = _send(delivery, endpoint, now)
    delivery.refresh_from_db()
    _record(delivery, result, now)
    return True


def webhooks_deliver_due(*, now: datetime | None = None, rounds: int | None = None) -> int:
    """Send what is due, round after round (a customer's next event is due once the one before
    it is delivered), until nothing is due or `rounds` (settings.WEBHOOKS_SEND_ROUNDS) ran out;
    returns the attempts made. `now` is the clock for due times and backoff (tests move it)."""
    rounds = rounds or settings.WEBHOOKS_SEND_ROUNDS
    attempts = 0
    for _ in range(rounds):
        moment = now or timezone.now()
        due = list(deliveries_due(now=moment, limit=settings.WEBHOOKS_SEND_BATCH))
        if not due:
            break
        for delivery in due:
            attempts += delivery_attempt(delivery=delivery, now=now)
    return attempts
