"""/api/v1/staff/webhooks: endpoints, their secrets, delivery log, resend and replay. Admins only:
every operation refuses other staff roles with 403 (and records the refusal)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from onboarding.core.pagination import BoundedLimitOffsetPagination
from onboarding.webhooks.catalog import event_catalog
from onboarding.webhooks.guard import UnsafeURL
from onboarding.webhooks.guard_texts import guard_text
from onboarding.webhooks.schemas import (
    WebhookDeliveryFilters,
    WebhookDeliveryOut,
    WebhookEndpointCreatedOut,
    WebhookEndpointDeletedOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatchIn,
    WebhookEventTypeOut,
    WebhookReplayIn,
    WebhookReplayOut,
    WebhookRotateIn,
    WebhookSecretOut,
)
from onboarding.webhooks.selectors import delivery_log, endpoint_get, endpoint_list
from onboarding.webhooks.services import (
    delivery_resend,
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
    replay_request,
    webhooks_require_admin,
)

router = Router()

_ERRORS = {400: dict, 403: dict, 404: dict}


@contextmanager
def _guard_refusal_worded() -> Iterator[None]:
    """The URL guard refuses in English (the text a delivery log stores); the caller reads its
    refusal in their Accept-Language, like the API's other messages. Code and field unchanged."""
    try:
        yield
    except UnsafeURL as refusal:
        raise UnsafeURL(guard_text(refusal.message)) from refusal


@router.get(
    "/event-types", response={200: list[WebhookEventTypeOut], 403: dict}, summary="Event types"
)
def event_types(request: HttpRequest):
    """Every event type an endpoint may ask for, with the version of its JSON body."""
    webhooks_require_admin(request.user)
    return event_catalog()


@router.get("/", response={200: list[WebhookEndpointOut], 403: dict}, summary="List endpoints")
def list_endpoints(request: HttpRequest):
    webhooks_require_admin(request.user)
    return list(endpoint_list())


@router.post(
    "/", response={201: WebhookEndpointCreatedOut, **_ERRORS}, summary="Register an endpoint"
)
def create_endpoint(request: HttpRequest, payload: WebhookEndpointIn):
    """The answer holds the signing secret: the only time it is shown."""
    with _guard_refusal_worded():
        created = endpoint_create(
            actor=request.user,
            url=payload.url,
            description=payload.description,
            event_types=payload.event_types,
        )
    endpoint = endpoint_get(endpoint_id=created.endpoint.pk)
    endpoint.secret = created.secret
    return Status(201, endpoint)


@router.get(
    "/{int:endpoint_id}",
    response={200: WebhookEndpointOut, 403: dict, 404: dict},
    summary="One endpoint",
)
def get_endpoint(request: HttpRequest, endpoint_id: int):
    webhooks_require_admin(request.user, object_id=str(endpoint_id))
    return endpoint_get(endpoint_id=endpoint_id)


@router.patch(
    "/{int:endpoint_id}",
    response={200: WebhookEndpointOut, **_ERRORS},
    summary="Change an endpoint",
)
def patch_endpoint(request: HttpRequest, endpoint_id: int, payload: WebhookEndpointPatchIn):
    """Pause with `paused: true`; `paused: false` resumes, and re-enables a disabled endpoint."""
    changes = payload.dict(exclude_none=True)
    with _guard_refusal_worded():
        endpoint_update(actor=request.user, endpoint_id=endpoint_id, **changes)
    return endpoint_get(endpoint_id=endpoint_id)


@router.delete(
    "/{int:endpoint_id}",
    response={200: WebhookEndpointDeletedOut, **_ERRORS},
    summary="Delete an endpoint",
)
def delete_endpoint(request: HttpRequest, endpoint_id: int):
    """Nothing more is sent to it: its pending deliveries are cancelled (counted in the answer).
    Its delivery log is kept for the audit trail; the endpoint no longer appears here."""
    cancelled = endpoint_delete(actor=request.user, endpoint_id=endpoint_id)
    return {"id": endpoint_id, "cancelled_deliveries": cancelled}


@router.post(
    "/{endpoint_id}/rotate-secret",
    response={200: WebhookSecretOut, **_ERRORS},
    summary="Rotate the secret",
)
def rotate_secret(request: HttpRequest, endpoint_id: int, payload: WebhookRotateIn | None = None):
    """A new secret, shown once; the previous one keeps signing (a second signature) for
    `overlap_seconds` (24 hours by default)."""
    rotated = endpoint_secret_rotate(
        actor=request.user,
        endpoint_id=endpoint_id,
        overlap_seconds=payload.overlap_seconds if payload else None,
    )
    return {
        "id": rotated.endpoint.pk,
        "secret": rotated.secret,
        "previous_secret_expires_at": rotated.endpoint.previous_secret_expires_at,
    }


@router.get(
    "/{endpoint_id}/deliveries",
    response={200: list[WebhookDeliveryOut], 403: dict, 404: dict},
    summary="Delivery log",
)
@paginate(BoundedLimitOffsetPagination)
def list_deliveries(request: HttpRequest, endpoint_id: int, filters: Query[WebhookDeliveryFilters]):
    webhooks_require_admin(request.user, object_id=str(endpoint_id))
    endpoint_get(endpoint_id=endpoint_id)
    return delivery_log(endpoint_id=endpoint_id, status=filters.status or "")


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/resend",
    response={201: WebhookDeliveryOut, **_ERRORS},
    summary="Resend one delivery",
)
def resend_delivery(request: HttpRequest, endpoint_id: int, delivery_id: int):
    """The same event (same webhook-id and body) queued again, after what already waits."""
    delivery = delivery_resend(actor=request.user, endpoint_id=endpoint_id, delivery_id=delivery_id)
    return Status(201, delivery_log(endpoint_id=endpoint_id).get(pk=delivery.pk))


@router.post(
    "/{endpoint_id}/replays", response={201: WebhookReplayOut, **_ERRORS}, summary="Replay a period"
)
def create_replay(request: HttpRequest, endpoint_id: int, payload: WebhookReplayIn):
    """Every event of [starts_at, ends_at), however old, sent again in order, a batch per tick."""
    replay = replay_request(
        actor=request.user,
        endpoint_id=endpoint_id,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    return Status(201, replay)
