"""Admin alerts: the seed ADR's "Notify admin", raised by every failure path through one call."""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext

from onboarding.alerts import events
from onboarding.alerts.models import (
    AdminAlert,
    AlertSeverity,
    AlertState,
    alert_dedupe_key,
)
from onboarding.alerts.permissions import RefusalEvent, require_admin
from onboarding.alerts.selectors import object_url_for
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import NotFound
from onboarding.core.numbers import parse_query_int
from onboarding.core.roles import Role
from onboarding.notifications.services import notification_send

logger = logging.getLogger(__name__)

ALERT_EMAIL_TEMPLATE = "alerts/email/alert_raised"
ALERT_NOTIFICATION_KIND = "admin_alert"

_SEVERITY_RANK = {severity.value: rank for rank, severity in enumerate(AlertSeverity)}
# Two raises that both find no alert race to insert one; the loser counts on the winner's row.
_CLAIM_TRIES = 3


class _LenientEncoder(DjangoJSONEncoder):
    # A failure path must never fail again because its context held an odd value.
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return repr(o)


def _plain_json(context: dict | None) -> dict:
    return json.loads(json.dumps(context or {}, cls=_LenientEncoder))


def _masked_context(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked_context(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_context(item) for item in value]
    return mask_card_numbers(value) if isinstance(value, str) else value


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url


def _admins() -> models.QuerySet:
    return get_user_model().objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")


def admin_alert_raise(
    *,
    reason: str,
    message: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    customer_id: int | None = None,
    context: dict | None = None,
    severity: str = "error",
    until_resolved: bool = False,
) -> AdminAlert:
    """Record a failure that needs a person, and tell every admin once per window.

    The same `reason` on the same object (`target`, or `object_type` "app.model" plus
    `object_id`) within settings.ALERT_DEDUPE_WINDOW of the alert's first occurrence is one
    alert: its `count` goes up and `last_seen_at` moves, and nobody is emailed again. Once the
    window has passed, or the alert was resolved, the next raise opens a new alert and emails.

    `until_resolved=True` is for a condition that persists until someone fixes it (a document
    that cannot be prepared, a follow-up that keeps failing): the open alert keeps counting for
    as long as it is unresolved, however old, so admins are emailed once, not once per window.
    Once it is resolved, the next raise opens a new alert and emails.

    Every admin (active users with role admin) gets the first occurrence by email and in-app
    inbox through the notifications outbox; the relay delivers it after commit.

    Transactions: the alert row, its audit entry and its notifications are written in one
    atomic block. Failure paths normally call this AFTER their own transaction rolled back (so
    the alert survives the failure); called inside an atomic block it joins that transaction
    and is rolled back with it. `context` must not hold secrets (passwords, card numbers,
    tokens): it is stored, shown to staff and emailed.
    """
    if not reason:
        raise ValueError("an alert needs a reason")
    if severity not in _SEVERITY_RANK:
        raise ValueError(f"unknown alert severity {severity!r}")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    reason, object_type, object_id = reason[:64], object_type[:80], str(object_id)[:64]
    # Messages quote what people typed (an escalation's note, an error about a form): a card
    # number in them would be stored, shown and emailed to every admin.
    message = mask_card_numbers(message)
    key = alert_dedupe_key(reason=reason, object_type=object_type, object_id=object_id)
    now = timezone.now()

    with transaction.atomic():
        alert = _alert_count_occurrence(
            key=key, now=now, severity=severity, until_resolved=until_resolved
        )
        if alert is None:
            alert = _alert_open(
                key=key,
                now=now,
                until_resolved=until_resolved,
                fields={
                    "reason": reason,
                    "message": message,
                    "severity": severity,
                    "object_type": object_type,
                    "object_id": object_id,
                    "object_url": object_url_for(
                        target=target, object_type=object_type, object_id=object_id
                    )[:500],
                    "customer_id": customer_id,
                    "context": _masked_context(_plain_json(context)),
                },
            )
            if alert.count == 1:
                _alert_notify_admins(alert)
        events.alert_raised(
            alert=alert,
            reason=reason,
            message=message,
            object_type=object_type,
            object_id=object_id,
            customer_id=customer_id,
        )
    logger.warning(
        "admin alert raised",
        extra={"alert_id": alert.pk, "reason": reason, "count": alert.count},
    )
    return alert


def _alert_count_occurrence(
    *, key: str, now, severity: str, until_resolved: bool
) -> AdminAlert | None:
    """Add one occurrence to the alert still collecting `key`, if it is within its window (or,
    `until_resolved`, whatever its age: only resolving it clears its key).

    An alert whose window ran out stops collecting (its key is cleared) and None is returned,
    so the caller opens a new one. The row lock makes concurrent raises count one by one.
    """
    current = AdminAlert.objects.select_for_update().filter(dedupe_key=key).first()
    if current is None:
        return None
    if not until_resolved and current.first_seen_at < now - settings.ALERT_DEDUPE_WINDOW:
        current.dedupe_key = None
        current.save(update_fields=["dedupe_key"])
        return None
    current.count += 1
    current.last_seen_at = max(now, current.last_seen_at)
    if _SEVERITY_RANK[severity] > _SEVERITY_RANK[current.severity]:
        current.severity = severity
    current.save(update_fields=["count", "last_seen_at", "severity"])
    return current


def _alert_open(*, key: str, now, until_resolved: bool, fields: dict) -> AdminAlert:
    for _ in range(_CLAIM_TRIES):
        try:
            with transaction.atomic():
                return AdminAlert.objects.create(
                    dedupe_key=key, first_seen_at=now, last_seen_at=now, **fields
                )
        except IntegrityError:
            # Another raise inserted the same key first and has committed: count on its row.
            counted = _alert_count_occurrence(
                key=key, now=now, severity=fields["severity"], until_resolved=until_resolved
            )
            if counted is not None:
                return counted
    raise RuntimeError(f"could not record alert {fields['reason']!r}")


def _subject_text(severity, reason: str, message: str) -> str:
    # The severity's name is translated; the reason code and the message stay as recorded.
    return f"[{severity}] {reason}: {message}"[:200]


_alert_subject = lazy(_subject_text, str)


def _alert_notify_admins(alert: AdminAlert) -> None:
    detail_url = _absolute(alert.get_absolute_url())
    object_url = _absolute(alert.object_url) if alert.object_url else ""
    context = {
        "alert_id": alert.pk,
        "reason": alert.reason,
        "message": alert.message,
        "severity": alert.severity,
        "severity_label": AlertSeverity(alert.severity).label,
        "object_label": alert.object_label,
        "object_url": object_url,
        "customer_id": alert.customer_id,
        "first_seen_at": alert.first_seen_at,
        "alert_url": detail_url,
        "context_json": json.dumps(alert.context, indent=2, sort_keys=True),
    }
    # Lazy: notification_send writes it in each admin's console language (docs/i18n.md).
    subject = _alert_subject(AlertSeverity(alert.severity).label, alert.reason, alert.message)
    admins = list(_admins())
    if not admins:
        logger.error("admin alert %s raised but there is no active admin to tell", alert.pk)
    for admin in admins:
        notification_send(
            recipient=admin,
            kind=ALERT_NOTIFICATION_KIND,
            subject=subject,
            template=ALERT_EMAIL_TEMPLATE,
            context=context,
            dedupe_key=f"alert:{alert.pk}:occurrence:{alert.count}:admin:{admin.pk}",
            channels=["email", "in_app"],
        )


def _alert_move(
    *, alert_id: int | str, actor, to_state: str, refused: RefusalEvent, note: str = ""
) -> AdminAlert:
    require_admin(actor, refused=refused, object_id=str(alert_id))
    pk = parse_query_int(str(alert_id), minimum=1)
    if pk is None:
        raise NotFound(gettext("No such alert."))
    with transaction.atomic():
        alert = AdminAlert.objects.select_for_update().filter(pk=pk).first()
        if alert is None:
            raise NotFound(gettext("No such alert."))
        old_state = alert.state
        alert.move_to(to_state)
        now = timezone.now()
        if to_state == AlertState.ACKNOWLEDGED:
            alert.acknowledged_at, alert.acknowledged_by = now, actor
        else:
            alert.resolved_at, alert.resolved_by = now, actor
            alert.resolution_note = note = mask_card_numbers(note)
            # A resolved alert collects no more repeats: the next raise opens a new alert.
            alert.dedupe_key = None
        alert.save()
        if to_state == AlertState.ACKNOWLEDGED:
            events.alert_acknowledged(actor=actor, alert=alert, previous_state=old_state)
        else:
            events.alert_resolved(actor=actor, alert=alert, previous_state=old_state, note=note)
    return alert


def admin_alert_acknowledge(*, alert_id: int, actor) -> AdminAlert:
    """An admin says they are on it: open -> acknowledged. Other moves raise IllegalTransition."""
    return _alert_move(
        alert_id=alert_id,
        actor=actor,
        to_state=AlertState.ACKNOWLEDGED,
        refused=events.alert_acknowledge_refused,
    )


def admin_alert_resolve(*, alert_id: int, actor, note: str = "") -> AdminAlert:
    """An admin closes the alert: open or acknowledged -> resolved. Other moves raise
    IllegalTransition."""
    return _alert_move(
        alert_id=alert_id,
        actor=actor,
        to_state=AlertState.RESOLVED,
        refused=events.alert_resolve_refused,
        note=note[:2000],
    )


# --- Closing alerts when the failed step later succeeds -----------------------------------------

# Which alert reasons a later success of the same step closes, keyed by that success. Only
# reasons whose object is the one the success is about (the customer, the invoice, the contract)
# belong here; failures a person must look at whatever happens next (a payment recorded twice,
# money unmatched, a gateway answering nonsense) never close by themselves. docs/alerts.md.
RESOLVED_BY_SUCCESS: dict[str, frozenset[str]] = {
    "card_added": frozenset({"card_refused", "card_update_failed", "card_form_unavailable"}),
    "invoice_paid": frozenset({"payment_incomplete", "invoice_payment_failed"}),
    "purchase_done": frozenset({"purchase_failed"}),
    "profile_updated": frozenset({"profile_update_failed"}),
    "contract_emailed": frozenset({"contract_email_unverified"}),
    # Both are raised until_resolved: left open, a later failure would count on them unseen.
    "invoice_followed_up": frozenset({"invoice_follow_up_failed", "follow_up_backoff_failed"}),
    "certificate_stored": frozenset({"contract_certificate_generation_failed"}),
    # Raised until_resolved per country: a rate in force again (an admin's edit, or an invoice
    # issued to the country) answers it (tax/services.py).
    "tax_rate_in_force": frozenset({"tax_rate_missing"}),
    # A service credit that failed to issue, approved again (issued) or declined by a manager.
    "service_credit_decided": frozenset({"service_credit_failed"}),
}


@dataclass(frozen=True)
class Succeeded:
    """One success that may close alerts: for whom, about which object, and what happened."""

    customer_id: int
    target: models.Model
    because: str
    # Facts the alert's context must hold too (the plan a failed purchase was for), so a
    # success at something else for the same customer leaves that alert open.
    about: dict[str, Any] = field(default_factory=dict)

    def answers(self, alert: AdminAlert) -> bool:
        context = alert.context or {}
        return all(context.get(key) == value for key, value in self.about.items())


def admin_alerts_resolve_for(
    *,
    success: str,
    customer_id: int,
    target: models.Model,
    because: str,
    about: dict[str, Any] | None = None,
) -> list[AdminAlert]:
    """Resolve, as the system, the unresolved alerts this success answers; returns them.

    An alert is answered when its reason is in RESOLVED_BY_SUCCESS[success] and it is about the
    same customer and the same object (`target`). Each closes with `because` as its resolution
    note and an "alert.auto_resolved" audit entry. Call it inside the success's transaction, so
    the alert closes exactly when the success commits.
    """
    return admin_alerts_resolve_many(
        success=success,
        succeeded=[
            Succeeded(customer_id=customer_id, target=target, because=because, about=about or {})
        ],
    )


def admin_alerts_resolve_many(*, success: str, succeeded: Iterable[Succeeded]) -> list[AdminAlert]:
    """admin_alerts_resolve_for for a batch (a bill run's paid invoices), in one query."""
    reasons = RESOLVED_BY_SUCCESS[success]
    wanted = {
        (item.customer_id, item.target._meta.label_lower, str(item.target.pk)): item
        for item in succeeded
    }
    if not wanted:
        return []
    candidates = (
        AdminAlert.objects.select_for_update()
        .unresolved()
        .filter(reason__in=reasons, customer_id__in={customer_id for customer_id, _, _ in wanted})
        .order_by("pk")
    )
    with transaction.atomic():
        answered = []
        for alert in candidates:
            item = wanted.get((alert.customer_id, alert.object_type, alert.object_id))
            if item is None or not item.answers(alert):
                continue  # another customer's, another kind of object, or another matter
            answered.append((alert, item.because))
        return _resolve_by_system(success, answered)


def admin_alerts_resolve_about(
    *, success: str, object_type: str, object_ids: Iterable[str], because: str
) -> list[AdminAlert]:
    """Resolve, as the system, the unresolved alerts this success answers about things that are
    nobody's in particular (a country's tax rate: `object_type` "tax.country", its codes as
    `object_ids`), whichever customer met them first; returns them. Call it inside the
    success's transaction, like admin_alerts_resolve_for."""
    ids = sorted({str(object_id) for object_id in object_ids})
    if not ids:
        return []
    with transaction.atomic():
        alerts = (
            AdminAlert.objects.select_for_update()
            .unresolved()
            .filter(
                reason__in=RESOLVED_BY_SUCCESS[success],
                object_type=object_type,
                object_id__in=ids,
            )
            .order_by("pk")
        )
        return _resolve_by_system(success, [(alert, because) for alert in alerts])


def _resolve_by_system(success: str, answered: list[tuple[AdminAlert, str]]) -> list[AdminAlert]:
    """Close each (alert, because), locked by the caller, with its note and audit entry."""
    now = timezone.now()
    resolved = []
    for alert, because in answered:
        previous_state = alert.state
        alert.move_to(AlertState.RESOLVED)
        alert.resolved_at, alert.resolved_by = now, None
        alert.resolved_automatically = True
        alert.resolution_note = (because[:1].upper() + because[1:])[:2000]
        # A later failure of the same step is a new event: it opens (and mails) a new alert.
        alert.dedupe_key = None
        alert.save(
            update_fields=[
                "state",
                "resolved_at",
                "resolved_by",
                "resolved_automatically",
                "resolution_note",
                "dedupe_key",
            ]
        )
        events.alert_resolved_by_system(alert=alert, previous_state=previous_state, because=because)
        resolved.append(alert)
    if resolved:
        logger.info(
            "admin alerts resolved by a later success",
            extra={"success": success, "alert_ids": [alert.pk for alert in resolved]},
        )
    return resolved
