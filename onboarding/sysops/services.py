"""Writes for the back office: resolving the customer a look-up names, and service requests.

"Customer unknown to SysOps. Notify admin." Every look-up, request or event that names a
customer goes through `customer_resolve`, which answers with the customer or raises
`CustomerUnknown` after raising the admin alert, so no caller can forget the alert.

Each request service runs in one transaction with its `ServiceRequestUpdate` (the history), its
audit entry, and the customer's notification (preferred inbox, deduplicated per update). An
unexpected failure in one that a page or the API calls is reported at its boundary
(alerts.failures.failure_reported) as SAVE_FAILED.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext, gettext_lazy

from onboarding.accounts.models import Customer, User
from onboarding.alerts.failures import FailureNotice, failure_reported
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing.dunning_holds import (
    dunning_hold_lift,
    dunning_hold_place,
    request_hold_reason,
)
from onboarding.billing.models import LIVE_STATUSES, Subscription
from onboarding.billing.states import HoldSource
from onboarding.core import clock
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict, DomainError, Forbidden, NotFound
from onboarding.core.numbers import parse_query_int
from onboarding.core.roles import STAFF_ROLES, Role
from onboarding.notifications.registry import PermanentDeliveryError
from onboarding.notifications.services import notification_send
from onboarding.sla.models import ClockKind
from onboarding.sla.services import (
    sla_clock_restart,
    sla_clock_stop,
    sla_clocks_pause,
    sla_clocks_resume,
    sla_clocks_reterm,
    sla_clocks_start,
)
from onboarding.sysops import events
from onboarding.sysops.models import (
    RequestKind,
    RequestStatus,
    ServiceRequest,
    ServiceRequestUpdate,
    Severity,
    UpdateKind,
)

logger = logging.getLogger(__name__)

CUSTOMER_UNKNOWN = "customer_unknown"
REQUEST_REPORTED_TOPIC = "sysops.request_reported"
NOTIFICATION_TEMPLATE = "sysops/email/request_update"
SUMMARY_MAX = 200
BODY_MAX = 10_000
SAVE_FAILED = FailureNotice(
    "service_request_failed",
    gettext_lazy(
        "The request could not be saved because of a problem on our side. "
        "Nothing was changed, and our team has been told."
    ),
)


class CustomerUnknown(NotFound):
    """No customer matches what a look-up, request or event named (an admin was alerted)."""

    code = CUSTOMER_UNKNOWN


# --- Customer unknown to SysOps ----------------------------------------------------------------


def _customer_unknown(*, named: str, object_id: str, source: str, actor) -> CustomerUnknown:
    who = getattr(actor, "email", "") if getattr(actor, "is_authenticated", False) else ""
    admin_alert_raise(
        reason=CUSTOMER_UNKNOWN,
        message=f"Customer unknown to SysOps: {named} ({source}).",
        object_type="accounts.customer",
        object_id=object_id[:64],
        context={"named": named, "source": source, "actor": who},
        severity="warning",
    )
    return CustomerUnknown(f"No customer {named} is known to SysOps. An admin has been told.")


def customer_resolve(
    *, customer_id: Any = None, email: str | None = None, source: str, actor: User | None = None
) -> Customer:
    """The customer named by id or by exact email address, with its user loaded.

    Anything that names no known customer (a missing id, a malformed one, an address no customer
    signed up with) raises CustomerUnknown, after an admin alert with reason "customer_unknown"
    (one alert per named customer per dedupe window, however often it is asked for).
    """
    if (customer_id is None) == (email is None):
        raise ValueError("name a customer by customer_id or by email, not both or neither")
    if email is not None:
        address = email.strip().lower()
        customer = Customer.objects.select_related("user").filter(user__email=address).first()
        if customer is None:
            raise _customer_unknown(
                named=f"with email {address}",
                object_id=f"email:{address}",
                source=source,
                actor=actor,
            )
        return customer
    number = _as_id(customer_id)
    customer = (
        Customer.objects.select_related("user").filter(pk=number).first()
        if number is not None
        else None
    )
    if customer is None:
        # An id no database column can hold is named apart, so nothing looks it up again.
        object_id = str(number) if number is not None else f"invalid:{customer_id}"
        raise _customer_unknown(
            named=f"#{customer_id}", object_id=object_id, source=source, actor=actor
        )
    return customer


def customer_of_requester(*, user: User, source: str) -> Customer:
    """The signed-in customer who is opening a request. A customer account the back office has
    no record for is "customer unknown" (alerted); anyone else (staff) is simply not found."""
    if not user.is_authenticated or user.role != Role.CUSTOMER:
        raise Http404(gettext("This page is for customers."))
    return customer_resolve(customer_id=user.pk, source=source, actor=user)


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str):
        return parse_query_int(value, minimum=1)
    return None


# --- Service requests --------------------------------------------------------------------------


def _require_staff(actor: User | None, refusal) -> None:
    """`refusal`: the whole sentence, lazy (a translated fragment would not agree in German)."""
    if actor is None or not actor.is_authenticated or not actor.has_role(*STAFF_ROLES):
        raise Forbidden(str(refusal))


def _clean_text(value: str, *, field: str, label, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(gettext("Write a {label}.").format(label=label), field=field)
    if "\x00" in text:
        raise DomainError(
            gettext("The {label} contains a character that cannot be stored.").format(label=label),
            field=field,
        )
    if len(text) > max_length:
        raise DomainError(
            gettext("Keep the {label} under {max_length} characters.").format(
                label=label, max_length=max_length
            ),
            field=field,
        )
    # A card number typed here would be stored and mailed in full: keep its last four only.
    return mask_card_numbers(text)


def _choice(value: str, choices, *, field: str, label) -> str:
    if value not in choices.values:
        raise DomainError(
            gettext("Choose a {label}: {choices}.").format(
                label=label, choices=", ".join(choices.values)
            ),
            field=field,
        )
    return value


def _live_subscription(customer: Customer, subscription_id: Any) -> Subscription:
    number = _as_id(subscription_id)
    subscription = (
        Subscription.objects.select_related("plan__product")
        .filter(pk=number, customer=customer, status__in=LIVE_STATUSES)
        .first()
        if number is not None
        else None
    )
    if subscription is None:
        raise DomainError(
            gettext("Choose one of the products you subscribe to."), field="subscription_id"
        )
    return subscription


def _status_headline(status: str) -> str:
    """ "your request is now in progress", in the language the notice is written in."""

    def text() -> str:
        label = str(RequestStatus(status).label)
        if (get_language() or "en").startswith("en"):
            label = label.lower()
        return gettext("your request is now {status}").format(status=label)

    return lazy(text, str)()


def _notify_customer(request: ServiceRequest, update: ServiceRequestUpdate, headline) -> None:
    """Tell the customer about one update, in their preferred inbox, once per update. The
    headline is lazy: it is written in the customer's language."""
    customer_user = request.customer.user
    notification_send(
        recipient=customer_user,
        kind=f"service_request.{update.kind}",
        subject=format_lazy("{}: {}", request.reference, headline),
        template=NOTIFICATION_TEMPLATE,
        context={
            "request": request,
            "update": update,
            "headline": headline,
            "recipient": customer_user,
            "url": settings.SITE_URL + reverse("requests:detail", args=[request.pk]),
        },
        dedupe_key=f"service-request-update:{update.pk}",
    )


def _notify_assignee(request: ServiceRequest, update: ServiceRequestUpdate, headline: str) -> None:
    if request.assignee_id is None or request.assignee_id == update.author_id:
        return
    notification_send(
        recipient=request.assignee,
        kind=f"service_request.staff_{update.kind}",
        subject=f"{request.reference}: {headline}",
        template=NOTIFICATION_TEMPLATE,
        context={
            "request": request,
            "update": update,
            "headline": headline,
            "recipient": request.assignee,
            "url": settings.SITE_URL + reverse("sysops:request_detail", args=[request.pk]),
        },
        dedupe_key=f"service-request-update:{update.pk}:assignee",
    )


def _locked(request: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("customer__user", "assignee", "subscription__plan__product")
        .get(pk=request.pk)
    )


def _touch(request: ServiceRequest, now, *fields: str) -> None:
    request.updated_at = now
    request.save(update_fields=["updated_at", *fields])


@failure_reported(SAVE_FAILED, target="customer")
def service_request_open(
    *,
    customer: Customer,
    subscription_id: int,
    kind: str,
    severity: str,
    summary: str,
    description: str,
    actor: User | None,
    source: str = "portal",
) -> ServiceRequest:
    """Open a repair or troubleshoot request for a product the customer subscribes to.

    `actor` is the customer or a member of staff opening it for them (a phone call). The customer
    is told it was received.
    """
    return _request_open(
        customer=customer,
        subscription_id=subscription_id,
        kind=kind,
        severity=severity,
        summary=summary,
        description=description,
        actor=actor,
        source=source,
    )


@transaction.atomic
def _request_open(
    *,
    customer: Customer,
    subscription_id: int | None,
    kind: str,
    severity: str,
    summary: str,
    description: str,
    actor: User | None,
    source: str,
) -> ServiceRequest:
    # An inbound event opens its request here directly (actor None): its unexpected failure is
    # the relay's to retry, not a failure to report to a person.
    if actor is not None and actor.pk != customer.pk:
        _require_staff(actor, gettext_lazy("Only SysOps staff can open a request for a customer."))
    subscription = _live_subscription(customer, subscription_id)
    request = ServiceRequest(
        customer=customer,
        subscription=subscription,
        kind=_choice(kind, RequestKind, field="kind", label=gettext_lazy("kind of request")),
        severity=_choice(severity, Severity, field="severity", label=gettext_lazy("severity")),
        summary=_clean_text(
            summary, field="summary", label=gettext_lazy("summary"), max_length=SUMMARY_MAX
        ),
        description=_clean_text(
            description, field="description", label=gettext_lazy("description"), max_length=BODY_MAX
        ),
        opened_by=actor,
        source=source[:40] or "portal",
    )
    request.save()
    update = ServiceRequestUpdate.objects.create(
        request=request,
        kind=UpdateKind.OPENED,
        author=actor,
        to_status=request.status,
        created_at=request.created_at,
    )
    events.request_opened(actor=actor, request=request)
    sla_clocks_start(
        subject=request,
        customer=customer,
        plan=subscription.plan,
        severity=request.severity,
        at=clock.now(),
        actor=actor,
    )
    _dunning_hold_follow(request, actor=actor)
    _notify_customer(request, update, gettext_lazy("we received your request"))
    return request


@failure_reported(SAVE_FAILED, target="request")
@transaction.atomic
def service_request_assign(
    *, request: ServiceRequest, assignee: User | None, actor: User
) -> ServiceRequest:
    """Give the request to a member of staff (or to nobody); the customer is told who has it."""
    _require_staff(actor, gettext_lazy("Only SysOps staff can assign requests."))
    if assignee is not None and not assignee.has_role(*STAFF_ROLES):
        raise DomainError(
            gettext("Assign the request to an active member of staff."), field="assignee"
        )
    request = _locked(request)
    if request.status == RequestStatus.CLOSED:
        raise Conflict(gettext("A closed request cannot be reassigned."), field="assignee")
    before = request.assignee
    if (before.pk if before else None) == (assignee.pk if assignee else None):
        return request
    now = timezone.now()
    request.assignee = assignee
    _touch(request, now, "assignee")
    update = ServiceRequestUpdate.objects.create(
        request=request, kind=UpdateKind.ASSIGNED, author=actor, assignee=assignee, created_at=now
    )
    events.request_assigned(actor=actor, request=request, previous=before)
    if assignee is not None:
        _notify_customer(request, update, gettext_lazy("an engineer is working on your request"))
        _notify_assignee(request, update, f"assigned to you by {actor.email}")
    return request


@failure_reported(SAVE_FAILED, target="request")
@transaction.atomic
def service_request_comment(
    *, request: ServiceRequest, actor: User, body: str, internal: bool = False
) -> ServiceRequestUpdate:
    """Add a comment. Staff may write internal notes (never shown to or sent to the customer).

    The customer may comment on their own open or resolved request; their reply to a request
    waiting on them puts it back in progress.
    """
    request = _locked(request)
    is_owner = actor.pk == request.customer_id
    if not is_owner:
        _require_staff(
            actor, gettext_lazy("Only SysOps staff can comment on another customer's request.")
        )
    elif internal:
        raise Forbidden(gettext("Only staff can write internal notes."))
    text = _clean_text(body, field="body", label=gettext_lazy("comment"), max_length=BODY_MAX)
    if request.status == RequestStatus.CLOSED and not internal:
        raise Conflict(gettext("This request is closed. Open a new request instead."), field="body")
    now = timezone.now()
    update = ServiceRequestUpdate.objects.create(
        request=request,
        kind=UpdateKind.COMMENT,
        author=actor,
        body=text,
        internal=internal,
        created_at=now,
    )
    _touch(request, now)
    events.request_commented(actor=actor, request=request, update=update)
    if is_owner:
        _notify_assignee(request, update, "the customer replied")
        if request.status == RequestStatus.WAITING_ON_CUSTOMER:
            _move(request, RequestStatus.IN_PROGRESS, actor=actor, note="", now=now)
    elif not internal:
        _first_response(request, actor=actor)
        _notify_customer(request, update, gettext_lazy("a new reply from SysOps"))
    return update


def _first_response(request: ServiceRequest, *, actor: User) -> None:
    """Staff's first public word on a request (a reply, or a status change the customer is told
    of) stops its first-response clock; later ones change nothing."""
    sla_clock_stop(subject=request, kind=ClockKind.FIRST_RESPONSE, at=clock.now(), actor=actor)


def _clocks_follow(request: ServiceRequest, before: str, *, actor: User | None) -> None:
    """The SLA clocks after a status move from `before`: waiting on the customer pauses them,
    leaving it resumes them, resolving or closing stops resolution, reopening runs it again."""
    now = clock.now()
    if actor is not None and actor.is_staff_role:
        _first_response(request, actor=actor)
    status = request.status
    if status == RequestStatus.WAITING_ON_CUSTOMER:
        sla_clocks_pause(subject=request, at=now)
    elif before == RequestStatus.WAITING_ON_CUSTOMER:
        sla_clocks_resume(subject=request, at=now)
    if status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
        sla_clock_stop(subject=request, kind=ClockKind.RESOLUTION, at=now, actor=actor)
    elif before == RequestStatus.RESOLVED:
        sla_clock_restart(subject=request, kind=ClockKind.RESOLUTION, at=now, actor=actor)


def _dunning_hold_follow(request: ServiceRequest, *, actor: User | None) -> None:
    """While a high or critical request is open, the customer's failed renewals wait for a
    manager instead of going past due (billing.dunning_holds); both calls are idempotent."""
    if request.is_open and request.is_urgent:
        dunning_hold_place(
            customer_id=request.customer_id,
            source=HoldSource.REQUEST,
            reference=request.pk,
            reason=request_hold_reason(severity=request.severity, request_id=request.pk),
            actor=actor,
        )
    else:
        dunning_hold_lift(
            customer_id=request.customer_id,
            source=HoldSource.REQUEST,
            reference=request.pk,
            # The value, not the (translated) label: the reason is recorded, in English.
            because=f"request {request.reference} is {request.status.replace('_', ' ')}",
            actor=actor,
        )


def _move(request: ServiceRequest, status: str, *, actor: User, note: str, now) -> None:
    before = request.status
    request.move_to(status, now=now)
    _touch(request, now, "status", "resolved_at", "closed_at")
    update = ServiceRequestUpdate.objects.create(
        request=request,
        kind=UpdateKind.STATUS,
        author=actor,
        body=note,
        from_status=before,
        to_status=request.status,
        created_at=now,
    )
    events.request_status_changed(actor=actor, request=request, previous_status=before, note=note)
    _clocks_follow(request, before, actor=actor)
    _dunning_hold_follow(request, actor=actor)
    _notify_customer(request, update, _status_headline(request.status))


@failure_reported(SAVE_FAILED, target="request")
@transaction.atomic
def service_request_move(
    *, request: ServiceRequest, status: str, actor: User, note: str = ""
) -> ServiceRequest:
    """Move the request to `status` if REQUEST_MOVES allows it; the customer is told."""
    _require_staff(actor, gettext_lazy("Only SysOps staff can change a request's status."))
    if len(note or "") > BODY_MAX:
        raise DomainError(
            gettext("Keep the note under %(count)d characters.") % {"count": BODY_MAX},
            field="note",
        )

    request = _locked(request)
    note = mask_card_numbers((note or "").strip())
    _move(request, status, actor=actor, note=note, now=timezone.now())
    return request


@failure_reported(SAVE_FAILED, target="request")
@transaction.atomic
def service_request_change_severity(
    *, request: ServiceRequest, severity: str, actor: User
) -> ServiceRequest:
    """Staff re-grade a request; its running SLA clocks move to the plan's terms for the new
    severity, counted from when the request was opened."""
    _require_staff(actor, gettext_lazy("Only SysOps staff can change a request's severity."))
    severity = _choice(severity, Severity, field="severity", label=gettext_lazy("severity"))
    request = _locked(request)
    if request.status == RequestStatus.CLOSED:
        raise Conflict(gettext("A closed request keeps its severity."), field="severity")
    before = request.severity
    if before == severity:
        return request
    request.severity = severity
    _touch(request, timezone.now(), "severity", "severity_rank")
    events.request_severity_changed(actor=actor, request=request, previous=before)
    _dunning_hold_follow(request, actor=actor)
    sla_clocks_reterm(
        subject=request, plan=request.subscription.plan, severity=severity, actor=actor
    )
    return request


# --- Inbound events ----------------------------------------------------------------------------


def service_request_reported(message, batch) -> None:
    """Outbox consumer for REQUEST_REPORTED_TOPIC: a monitoring system or the phone desk reports
    a problem for a customer, as {"customer_id", "kind", "severity", "summary", "description",
    "subscription_id" (optional when the customer has one product), "source"}.

    An event naming an unknown customer is answered with an admin alert ("customer_unknown") and
    consumed: no retry can make the customer known. A malformed event is dead at once.
    """
    payload = message.payload if isinstance(message.payload, dict) else {}
    source = str(payload.get("source") or "event")[:40]
    try:
        customer = customer_resolve(
            customer_id=payload.get("customer_id"),
            source=f"event {message.topic} #{message.pk} from {source}",
        )
    except CustomerUnknown:
        logger.warning("event names an unknown customer", extra={"outbox_id": message.pk})
        return
    subscription_id = payload.get("subscription_id")
    if subscription_id is None:
        live = list(
            Subscription.objects.filter(customer=customer, status__in=LIVE_STATUSES).values_list(
                "pk", flat=True
            )[:2]
        )
        subscription_id = live[0] if len(live) == 1 else None
    try:
        with transaction.atomic():
            _request_open(
                customer=customer,
                subscription_id=subscription_id,
                kind=str(payload.get("kind", RequestKind.TROUBLESHOOT)),
                severity=str(payload.get("severity", Severity.NORMAL)),
                summary=str(payload.get("summary", "")),
                description=str(payload.get("description", "")),
                actor=None,
                source=source,
            )
    except DomainError as error:
        raise PermanentDeliveryError(f"malformed {message.topic} event: {error.message}") from error
