"""What a request's SLA clock warning or breach means for the request (consumers of the topics
sla/watch.py publishes; the check that claims them lives in the sla app, below this one).

- 80% of a clock's service time used: the request's assignee is told, or with nobody assigned
  every active SysOps user.
- Breach (the deadline passed while the clock ran): a risk event against the contract of the
  request's subscription, the same people told, and the service credit the plan's terms give
  proposed to the managers (service_credits.py; one per clock).

Both consumers only write rows, so the relay runs them in the transaction that records their
delivery (exactly once); the notifications and the risk event also carry a dedupe key per
clock, so a message handled twice still acts once. Under a test clock the message carries the
clock's stamp and is handled at the step's moment.
"""

import datetime as dt
import logging

from django.conf import settings
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from onboarding.acceptance.sla_alerts import (
    REVIEW_SUBJECT_TYPE,
    review_clock_breached,
    review_clock_warned,
)
from onboarding.accounts.models import User
from onboarding.contracts.models import IN_FORCE_STATES, Contract
from onboarding.core.roles import Role
from onboarding.notifications.registry import PermanentDeliveryError
from onboarding.notifications.services import notification_send
from onboarding.risk.models import RiskLevel, RiskType
from onboarding.risk.services import risk_event_raise
from onboarding.sla.models import ClockKind
from onboarding.sysops.models import ServiceRequest, Severity
from onboarding.sysops.service_credits import service_credit_propose

logger = logging.getLogger(__name__)

SLA_NOTIFICATION_TEMPLATE = "sysops/email/request_sla"
_SUBJECT_TYPE = ServiceRequest._meta.label_lower
_URGENT = (Severity.HIGH, Severity.CRITICAL)


def _clock_message(message) -> tuple[dict, ServiceRequest | None]:
    payload = message.payload if isinstance(message.payload, dict) else {}
    try:
        clock_id = int(payload["clock_id"])
        kind = ClockKind(payload["kind"])
        due_at = dt.datetime.fromisoformat(payload["due_at"])
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentDeliveryError(f"malformed {message.topic} event: {error}") from error
    fields = {"clock_id": clock_id, "kind": kind, "due_at": due_at}
    if payload.get("subject_type") != _SUBJECT_TYPE:
        return fields, None  # another subject's clock (acceptance): not a request's
    request = (
        ServiceRequest.objects.select_related("assignee", "customer", "subscription__plan__product")
        .filter(pk=payload.get("subject_id"))
        .first()
    )
    return fields, request


# The mail's headline per clock and event: lazy, so notification_send writes it in the
# recipient's console language (the worker's own language is English).
HEADLINES = {
    ("warning", ClockKind.FIRST_RESPONSE): _("first response due soon"),
    ("warning", ClockKind.RESOLUTION): _("resolution due soon"),
    ("breached", ClockKind.FIRST_RESPONSE): _("first response deadline missed"),
    ("breached", ClockKind.RESOLUTION): _("resolution deadline missed"),
}


def _recipients(request: ServiceRequest) -> list[User]:
    if request.assignee_id is not None and request.assignee.is_active:
        return [request.assignee]
    return list(User.objects.filter(role=Role.SYSOPS, is_active=True).order_by("pk"))


def _notify(request: ServiceRequest, fields: dict, *, event: str) -> None:
    headline = HEADLINES[(event, ClockKind(fields["kind"]))]
    url = settings.SITE_URL + reverse("sysops:request_detail", args=[request.pk])
    for recipient in _recipients(request):
        notification_send(
            recipient=recipient,
            kind=f"service_request.sla_{event}",
            subject=format_lazy(
                "{reference}: {headline}", reference=request.reference, headline=headline
            ),
            template=SLA_NOTIFICATION_TEMPLATE,
            context={
                "request": request,
                "recipient": recipient,
                "headline": headline,
                "event": event,
                "clock_label": ClockKind(fields["kind"]).label,
                "clock_kind": fields["kind"],
                "due_at": fields["due_at"],
                "url": url,
            },
            dedupe_key=f"sla-clock:{fields['clock_id']}:{event}:{recipient.pk}",
        )


def _contract_of(request: ServiceRequest) -> Contract | None:
    """The contract of the request's subscription: the one in force, else the latest."""
    contracts = Contract.objects.filter(subscription_id=request.subscription_id)
    return (
        contracts.filter(state__in=IN_FORCE_STATES).order_by("-id").first()
        or contracts.order_by("-id").first()
    )


def _of_review(message) -> bool:
    """An acceptance review's next-action clock: the acceptance app's to handle."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    return payload.get("subject_type") == REVIEW_SUBJECT_TYPE


def sla_clock_warned(message, batch) -> None:
    """Consumer of sla.clock_warned: 80% of a request clock's service time is used."""
    if _of_review(message):
        return review_clock_warned(message)
    fields, request = _clock_message(message)
    if request is None:
        return
    _notify(request, fields, event="warning")


def sla_clock_breached(message, batch) -> None:
    """Consumer of sla.clock_breached: a request clock ran past its deadline."""
    if _of_review(message):
        return review_clock_breached(message)
    fields, request = _clock_message(message)
    if request is None:
        return
    label = ClockKind(fields["kind"]).label
    contract = _contract_of(request)
    if contract is None:
        # Nothing to hold the risk against (a request before any contract was issued): the
        # people who can act are still told below.
        logger.warning("SLA breach without a contract", extra={"request_id": request.pk})
    else:
        risk_event_raise(
            type=RiskType.SLA_BREACHED,
            level=RiskLevel.RED if request.severity in _URGENT else RiskLevel.YELLOW,
            contract=contract,
            reason=f"{request.reference} ({request.get_severity_display()}): {label.lower()} "
            f"not given by its deadline {fields['due_at']:%Y-%m-%d %H:%M} UTC",
            # The reason's values, for the risk board to word it in its reader's language.
            details={
                "subject": "request",
                "request": request.reference,
                "severity": str(request.severity),
                "clock": str(fields["kind"]),
                "due_at": fields["due_at"].isoformat(),
            },
            dedupe_key=f"sla-clock:{fields['clock_id']}",
        )
    _notify(request, fields, event="breached")
    service_credit_propose(clock_id=fields["clock_id"], request=request)
