"""Sending: the worker POSTs due deliveries, records each attempt, and retries with backoff.

A delivery is due when it is pending, its time has come, its endpoint is sending (neither paused
nor disabled), and no earlier delivery of the same endpoint and customer is still pending: a
receiver sees one customer's events in order, even across an outage. Failures retry with
exponential backoff and jitter (core.backoff) for settings.WEBHOOKS_RETRY_FOR_SECONDS from the
first attempt; then the delivery fails, the endpoint is disabled (its later deliveries wait) and
admins are alerted once. An admin resumes the endpoint to send the rest.

Sending goes by rounds. A round claims what is due in one transaction (at most one delivery per
endpoint and customer, by the rule above, so its requests may go out together without breaking
any customer's order), POSTs them from a small thread pool (settings.WEBHOOKS_SEND_THREADS; the
threads only talk HTTP, never to the database), then records every attempt in one transaction.
Attempts run outside any transaction: the claim moves `next_attempt_at` past a lease long enough
for the whole round (lease_seconds), so a second worker skips the rows, and a worker that dies
mid-round leaves them due again later.
"""

import logging
import math
import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from onboarding.alerts.services import admin_alert_raise
from onboarding.core.backoff import backoff_seconds
from onboarding.webhooks import events
from onboarding.webhooks.guard import UnsafeURL, url_check, url_redact
from onboarding.webhooks.models import (
    DeliveryKind,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from onboarding.webhooks.sender import SendResult, attempt_budget, post
from onboarding.webhooks.signing import signature_header

logger = logging.getLogger(__name__)

DISABLED_ALERT = "webhook_endpoint_disabled"
# Beyond the requests' own deadlines: the name's resolution before each request (the resolver's
# own timeouts, not ours) and recording the round.
LEASE_SLACK_PER_SEND_SECONDS = 5
LEASE_SLACK_SECONDS = 60


def _waves() -> int:
    """Sends per thread in a full round; also the most one replay lane may hold (_lanes)."""
    return math.ceil(settings.WEBHOOKS_SEND_BATCH / settings.WEBHOOKS_SEND_THREADS)


def lease_seconds() -> int:
    """How long a claimed round stays out of everyone else's due list. Lanes of at most _waves()
    sends, _waves() x threads sends in all: the pool ends within twice _waves() sends, each up to
    an attempt's whole deadline, so the lease outlasts the round and no second worker sends a
    delivery while it is still out."""
    per_send = attempt_budget() + LEASE_SLACK_PER_SEND_SECONDS
    return math.ceil(2 * _waves() * per_send) + LEASE_SLACK_SECONDS


def _due(now: datetime):
    earlier_pending = WebhookDelivery.objects.pending().filter(
        endpoint_id=OuterRef("endpoint_id"),
        customer_key=OuterRef("customer_key"),
        pk__lt=OuterRef("pk"),
    )
    return (
        WebhookDelivery.objects.pending()
        .filter(next_attempt_at__lte=now, endpoint__in=WebhookEndpoint.objects.sending())
        .exclude(Exists(earlier_pending))
        .order_by("pk")
    )


def deliveries_due(*, now: datetime, limit: int):
    return _due(now)[:limit]


def _claim_round(now: datetime, limit: int) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries for one round. On PostgreSQL rows another worker is
    claiming are skipped (SKIP LOCKED), so two workers take different rows; everywhere the
    update is a compare and set on the due time, read back by this claim's own lease end."""
    lease_until = now + timedelta(
        seconds=lease_seconds(), microseconds=secrets.randbelow(1_000_000)
    )
    with transaction.atomic():
        rows = (
            _due(now)
            .select_for_update(skip_locked=True)
            .values_list("pk", "kind", "endpoint_id")[:limit]
        )
        ids = _lane_bounded(list(rows))
        if not ids:
            return []
        WebhookDelivery.objects.filter(
            pk__in=ids, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=lease_until)
        return list(
            WebhookDelivery.objects.filter(pk__in=ids, next_attempt_at=lease_until).order_by("pk")
        )


def _lane_bounded(rows: list[tuple[int, str, int]]) -> list[int]:
    """The ids to claim: an endpoint's replayed deliveries beyond _waves() wait for a later
    round (they are the latest in pk order), so no lane outlasts the lease."""
    most, per_endpoint, ids = _waves(), Counter(), []
    for pk, kind, endpoint_id in rows:
        if kind == DeliveryKind.REPLAY:
            per_endpoint[endpoint_id] += 1
            if per_endpoint[endpoint_id] > most:
                continue
        ids.append(pk)
    return ids


@dataclass(frozen=True)
class _Request:
    url: str
    body: bytes
    headers: dict[str, str]


def _request(delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> _Request:
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
    return _Request(url=endpoint.url, body=delivery.body.encode(), headers=headers)


def _send(request: _Request) -> SendResult:
    """One request, in a pool thread: no database here."""
    try:
        # Checked again at each send: the name may resolve elsewhere since it was registered.
        target = url_check(request.url)
    except UnsafeURL as refusal:
        return SendResult(status_code=None, excerpt="", error=refusal.message[:300], duration_ms=0)
    return post(target=target, body=request.body, headers=request.headers)


def _lanes(claimed: list[WebhookDelivery]) -> list[list[int]]:
    """The round's deliveries (by index) grouped into lanes sent one after another, lanes side
    by side. A live delivery or a resend is a lane of its own (the round already holds one per
    endpoint and customer); a replay reads a period of the log again in order, so an endpoint's
    replayed events stay in one lane, in pk order."""
    lanes: dict[object, list[int]] = {}
    for index, delivery in enumerate(claimed):
        key = (
            ("replay", delivery.endpoint_id)
            if delivery.kind == DeliveryKind.REPLAY
            else ("one", delivery.pk)
        )
        lanes.setdefault(key, []).append(index)
    return list(lanes.values())


def _send_all(claimed: list[WebhookDelivery], requests: list[_Request]) -> list[SendResult]:
    lanes = _lanes(claimed)
    results: list[SendResult | None] = [None] * len(requests)

    def run(lane: list[int]) -> None:
        for index in lane:
            results[index] = _send(requests[index])

    if len(lanes) == 1:
        run(lanes[0])
    else:
        threads = min(settings.WEBHOOKS_SEND_THREADS, len(lanes))
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-send") as pool:
            for future in [pool.submit(run, lane) for lane in lanes]:
                future.result()
    return results


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


_RECORDED_FIELDS = [
    "status",
    "attempts",
    "first_attempt_at",
    "last_status_code",
    "last_error",
    "next_attempt_at",
    "finished_at",
]


def _apply(delivery: WebhookDelivery, result: SendResult, now: datetime) -> WebhookAttempt:
    """The delivery's new state after this attempt, and the attempt's log row."""
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
    return WebhookAttempt(
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


def _record_round(claimed: list[WebhookDelivery], results: list[SendResult], now: datetime) -> None:
    with transaction.atomic():
        # Read under lock: an endpoint deleted while the requests were out cancelled its rows.
        statuses = dict(
            WebhookDelivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in claimed])
            .values_list("pk", "status")
        )
        for delivery in claimed:
            delivery.status = statuses.get(delivery.pk, delivery.status)
        attempts = [
            _apply(delivery, result, now) for delivery, result in zip(claimed, results, strict=True)
        ]
        WebhookDelivery.objects.bulk_update(claimed, _RECORDED_FIELDS)
        WebhookAttempt.objects.bulk_create(attempts)
        for delivery in claimed:
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
            f"Webhook endpoint {url_redact(endpoint.url)} was disabled: "
            f"{endpoint.disabled_reason}. Its later events wait; resume it once the receiver "
            "is back."
        ),
        target=endpoint,
        context={"delivery": delivery.pk, "attempts": delivery.attempts},
        until_resolved=True,
    )


def deliver_round(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Claim, send and record one round; returns the attempts made (0: nothing was due)."""
    moment = now or timezone.now()
    claimed = _claim_round(moment, limit or settings.WEBHOOKS_SEND_BATCH)
    if not claimed:
        return 0
    endpoints = WebhookEndpoint.objects.in_bulk({d.endpoint_id for d in claimed})
    requests = [_request(d, endpoints[d.endpoint_id], moment) for d in claimed]
    results = _send_all(claimed, requests)
    _record_round(claimed, results, moment)
    return len(claimed)


def webhooks_deliver_due(*, now: datetime | None = None, rounds: int | None = None) -> int:
    """Send what is due, round after round (a customer's next event is due once the one before
    it is delivered), until nothing is due or `rounds` (settings.WEBHOOKS_SEND_ROUNDS) ran out;
    returns the attempts made. `now` is the clock for due times and backoff (tests move it)."""
    rounds = rounds or settings.WEBHOOKS_SEND_ROUNDS
    attempts = 0
    for _ in range(rounds):
        made = deliver_round(now=now)
        if not made:
            break
        attempts += made
    return attempts
