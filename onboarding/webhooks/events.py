"""The webhooks app's audit events: one keyword-only function per event, nothing else writes them.

No secret is ever recorded: a rotation says when the previous secret stops working, not what
either secret is; an endpoint's URL is recorded without its query, fragment or userinfo, where an
integrator's token may be (guard.url_redact).
"""

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.webhooks.guard import url_redact
from onboarding.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookReplay

ENDPOINT_TYPE = "webhooks.webhookendpoint"
ADMIN_ONLY = "only an admin may do this"


def endpoint_created(*, actor, endpoint: WebhookEndpoint) -> None:
    audit_record(
        action="webhook_endpoint.created",
        actor=actor,
        target=endpoint,
        changes={"url": url_redact(endpoint.url), "event_types": endpoint.event_types},
        message=endpoint.description,
    )


def endpoint_updated(*, actor, endpoint: WebhookEndpoint, changes: dict) -> None:
    if "url" in changes:
        changes = {**changes, "url": [url_redact(url) for url in changes["url"]]}
    audit_record(action="webhook_endpoint.updated", actor=actor, target=endpoint, changes=changes)


def endpoint_secret_rotated(*, actor, endpoint: WebhookEndpoint) -> None:
    audit_record(
        action="webhook_endpoint.secret_rotated",
        actor=actor,
        target=endpoint,
        changes={"previous_valid_until": endpoint.previous_secret_expires_at},
    )


def endpoint_deleted(*, actor, endpoint: WebhookEndpoint, cancelled: int) -> None:
    audit_record(
        action="webhook_endpoint.deleted",
        actor=actor,
        target=endpoint,
        changes={"url": url_redact(endpoint.url), "cancelled_deliveries": cancelled},
        message=endpoint.description,
    )


def endpoint_disabled(*, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    audit_record(
        action="webhook_endpoint.disabled",
        target=endpoint,
        outcome=Outcome.FAILURE,
        changes={"delivery": delivery.pk, "webhook_id": delivery.webhook_id},
        message=endpoint.disabled_reason,
    )


def delivery_resent(*, actor, delivery: WebhookDelivery, original: WebhookDelivery) -> None:
    audit_record(
        action="webhook_delivery.resent",
        actor=actor,
        target=delivery,
        changes={"resend_of": original.pk, "webhook_id": original.webhook_id},
    )


def replay_requested(*, actor, replay: WebhookReplay) -> None:
    audit_record(
        action="webhook_replay.requested",
        actor=actor,
        target=replay,
        changes={
            "endpoint": replay.endpoint_id,
            "starts_at": replay.starts_at,
            "ends_at": replay.ends_at,
        },
    )


def webhooks_refused(*, actor, object_id: str) -> None:
    """Someone other than an admin tried to read or change webhooks."""
    audit_record(
        action="webhooks.refused",
        actor=actor,
        object_type=ENDPOINT_TYPE,
        object_id=object_id,
        outcome=Outcome.REFUSED,
        message=ADMIN_ONLY,
    )
