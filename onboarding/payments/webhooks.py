"""The door Stripe's webhooks come in by: POST /webhooks/stripe/ (docs/payments.md).

Public, CSRF-exempt (Stripe holds no session), POST only, the body bounded. The signature is
verified by the `stripe` library's own helper against settings.STRIPE_WEBHOOK_SECRET before
anything is read from the body; a bad, missing or stale one is 400, logged and counted
(STRIPE_WEBHOOKS_REFUSED), and nothing is stored. A verified event is stored once and queued
(stripe_events.py), and Stripe gets its 200 at once: processing happens in the outbox relay.
"""

import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from prometheus_client import Counter

from onboarding.payments.stripe_events import MalformedEvent, stripe_event_record

logger = logging.getLogger(__name__)

# Stripe's events are a few kilobytes; a body larger than this is not one of them.
MAX_BODY_BYTES = 256 * 1024

STRIPE_WEBHOOKS_REFUSED = Counter(
    "onboarding_stripe_webhooks_refused_total",
    "Stripe webhook requests refused before processing",
    ["reason"],
)
STRIPE_WEBHOOKS_RECEIVED = Counter(
    "onboarding_stripe_webhooks_received_total",
    "Stripe webhook events accepted (new or replayed)",
    ["replay"],
)


def _refuse(reason: str, status: int = 400) -> HttpResponse:
    STRIPE_WEBHOOKS_REFUSED.labels(reason).inc()
    logger.warning("stripe webhook refused", extra={"reason": reason})
    return JsonResponse({"detail": "refused"}, status=status)


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    length = _declared_length(request)
    if length is None or length > MAX_BODY_BYTES:
        return _refuse("too_large", status=413)
    payload = request.body
    if len(payload) > MAX_BODY_BYTES:
        return _refuse("too_large", status=413)
    if not settings.STRIPE_WEBHOOK_SECRET:
        # Not configured: a signature made with an empty key would otherwise verify.
        return _refuse("no_secret_configured")
    header = request.headers.get("Stripe-Signature")
    if not header:
        return _refuse("no_signature")
    try:
        stripe.WebhookSignature.verify_header(
            payload,
            header,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except stripe.SignatureVerificationError:
        return _refuse("bad_signature")
    except UnicodeDecodeError:
        return _refuse("not_utf8")
    try:
        event, created = stripe_event_record(payload=payload)
    except MalformedEvent as malformed:
        logger.warning("signed stripe webhook is not an event: %s", malformed)
        return _refuse("malformed")
    STRIPE_WEBHOOKS_RECEIVED.labels("no" if created else "yes").inc()
    return JsonResponse({"received": event.stripe_id, "replay": not created})
