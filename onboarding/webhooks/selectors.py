"""Reads for the webhook pages and API: endpoints, their delivery log, their replays."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext

from onboarding.core.errors import NotFound
from onboarding.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookReplay,
)

LOG_SIZE = 50


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return (
        WebhookEndpoint.objects.live()
        .annotate(
            pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("pk")
    )


def endpoint_get(*, endpoint_id) -> WebhookEndpoint:
    try:
        endpoint = endpoint_list().filter(pk=int(endpoint_id)).first()
    except (TypeError, ValueError, OverflowError):
        endpoint = None
    if endpoint is None:
        raise NotFound(gettext("No such webhook endpoint."))
    return endpoint


def delivery_log(*, endpoint_id: int, status: str = "") -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, each with its attempts (newest first)."""
    deliveries = WebhookDelivery.objects.filter(endpoint_id=endpoint_id).defer("body")
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    return deliveries.prefetch_related(
        Prefetch("log", queryset=WebhookAttempt.objects.order_by("-number"))
    ).order_by("-pk")


def replay_list(*, endpoint_id: int) -> QuerySet[WebhookReplay]:
    return WebhookReplay.objects.filter(endpoint_id=endpoint_id).order_by("-pk")
