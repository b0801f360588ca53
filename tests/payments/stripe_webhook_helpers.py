"""Stripe's webhook events for tests: recorded-shaped payloads (stripe_events/, in the shapes of
the API version the gateway uses), signed here with a test secret by Stripe's own scheme, and
posted to /webhooks/stripe/ the way Stripe posts them."""

import hashlib
import hmac
import json
import time
from pathlib import Path

from django.test import Client

EVENTS = Path(__file__).parent / "stripe_events"
SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc"
URL = "/webhooks/stripe/"


def stripe_event(name: str, **object_changes) -> dict:
    """The recorded event `name` (its file's name without .json), its object's fields changed."""
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event["data"]["object"].update(object_changes)
    return event


def signature_header(payload: str, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature as Stripe computes it: t=<unix time>,v1=HMAC-SHA256("<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post_event(client: Client, event: dict | str, *, header: str | None = "sign"):
    """POST the event as Stripe does; header "sign" signs it with SECRET now, None sends none."""
    payload = event if isinstance(event, str) else json.dumps(event)
    extra = {}
    if header == "sign":
        header = signature_header(payload)
    if header is not None:
        extra["HTTP_STRIPE_SIGNATURE"] = header
    return client.post(URL, data=payload, content_type="application/json", **extra)
