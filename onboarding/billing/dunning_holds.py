"""Service-aware dunning: holds, and asking a manager when dunning meets one.

While a customer's service is in trouble (a contract whose acceptance is red, an open high or
critical repair/troubleshoot request), dunning does not make a failed renewal past due on its
own. The apps above say when the trouble starts and ends, by calling `dunning_hold_place` and
`dunning_hold_lift` (acceptance's status_settle, sysops' request open and moves): billing is a
floor below them and knows nothing of their rows, only a hold's source, reference and reason.

When a failed renewal's dunning schedule ends (retry_timing.dunning_after_failure, or a
hard-declined invoice's schedule in dunning.py) and the customer has a hold, the invoice stays
open, `retry_stopped` "manager_decision", its subscription untouched; `invoice.dunning_held` is
audited and every manager is asked (`dunning_decisions_ask`). The manager's answer is
dunning_decisions.invoice_dunning_decide. Lifting the last hold decides nothing by itself: an
invoice waiting for a manager keeps waiting for one.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from onboarding.accounts.models import User
from onboarding.alerts.services import admin_alert_raise
from onboarding.audit.bulk import AuditRow, audit_rows_write
from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record
from onboarding.billing.hold_models import DunningHold
from onboarding.billing.hold_texts import (  # the builders, for the apps that place holds
    acceptance_hold_reason,
    hold_reasons_text,
    request_hold_reason,
)
from onboarding.billing.models import Invoice, RetryStop
from onboarding.billing.states import HoldSource
from onboarding.core import clock
from onboarding.core.roles import Role
from onboarding.notifications.models import Channel
from onboarding.notifications.services import notification_send

HOLD_TYPE = DunningHold._meta.label_lower
INVOICE_TYPE = Invoice._meta.label_lower


# --- Placing and lifting (called by the apps above) --------------------------------------------


def dunning_hold_place(
    *, customer_id: int, source: str, reference: str | int, reason: str, actor: User | None = None
) -> DunningHold:
    """Hold the customer's dunning for (`source`, `reference`); idempotent: a hold already on
    for them is returned as it is. Audited when placed."""
    source = HoldSource(source)
    with transaction.atomic():
        hold, created = DunningHold.objects.active().get_or_create(
            customer_id=customer_id,
            source=source,
            reference=str(reference),
            defaults={"reason": reason[:255]},
        )
        if created:
            audit_record(
                action="dunning_hold.placed",
                actor=actor,
                target=hold,
                customer_id=customer_id,
                changes={"source": source.value, "reference": hold.reference},
                message=f"Dunning on hold: {hold.reason}",
            )
    return hold


def dunning_hold_lift(
    *,
    customer_id: int,
    source: str,
    reference: str | int,
    because: str,
    actor: User | None = None,
) -> DunningHold | None:
    """Lift the customer's hold for (`source`, `reference`), if one is on; idempotent. Audited
    when lifted. Invoices already waiting for a manager keep waiting (see the module)."""
    with transaction.atomic():
        hold = (
            DunningHold.objects.active()
            .select_for_update()
            .filter(customer_id=customer_id, source=HoldSource(source), reference=str(reference))
            .first()
        )
        if hold is None:
            return None
        hold.lifted_at = clock.now()
        hold.save(update_fields=["lifted_at"])
        audit_record(
            action="dunning_hold.lifted",
            actor=actor,
            target=hold,
            customer_id=customer_id,
            changes={"lifted_at": [None, hold.lifted_at.isoformat()]},
            message=f"Dunning hold lifted ({hold.reason}): {because}"[:500],
        )
    return hold


# --- Reading -------------------------------------------------------------------------------------


def customers_held(*, customer_ids: Iterable[int]) -> set[int]:
    """The customers among `customer_ids` with a hold on (one query)."""
    ids = set(customer_ids)
    if not ids:
        return set()
    return set(
        DunningHold.objects.active()
        .filter(customer_id__in=ids)
        .values_list("customer_id", flat=True)
        .distinct()
    )


def customer_dunning_holds(*, customer_id: int) -> list[DunningHold]:
    """The customer's holds that are on, oldest first."""
    return list(
        DunningHold.objects.active().filter(customer_id=customer_id).order_by("placed_at", "pk")
    )


# --- Dunning meets a hold ----------------------------------------------------------------------


def invoice_hold_for_decision(invoice: Invoice) -> None:
    """Mark an open invoice, locked by the caller, whose schedule has ended as waiting for a
    manager: no retry booked, not uncollectible (the caller saves it)."""
    invoice.next_retry_at = None
    invoice.retry_stopped = RetryStop.MANAGER_DECISION


def dunning_held_row(invoice: Invoice, holds: dict[int, list[str]]) -> AuditRow:
    """`invoice.dunning_held`: the invoice waits for a manager; `holds` as hold_reasons gives."""
    reasons = holds.get(invoice.customer_id, [])
    return AuditRow(
        action="invoice.dunning_held",
        object_type=INVOICE_TYPE,
        object_id=invoice.pk,
        customer_id=invoice.customer_id,
        outcome=Outcome.FAILURE,
        changes={"retry_stopped": ["", RetryStop.MANAGER_DECISION], "holds": reasons},
        message=(
            f"{invoice.number}: dunning ended unpaid while the customer's service is on hold "
            f"({'; '.join(reasons)}): not past due until a manager decides"
        )[:500],
    )


def hold_reasons(*, customer_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each held customer's reasons (one query)."""
    reasons: dict[int, list[str]] = {}
    rows = (
        DunningHold.objects.active()
        .filter(customer_id__in=set(customer_ids))
        .order_by("placed_at", "pk")
        .values_list("customer_id", "reason")
    )
    for customer_id, reason in rows:
        reasons.setdefault(customer_id, []).append(reason)
    return reasons


def _managers() -> list[User]:
    return list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))


def dunning_decisions_ask(invoices: list[Invoice], *, reasons: dict[int, list[str]]) -> None:
    """Ask every manager (in-app and email, `dunning_decision`) to decide on each held invoice,
    in the caller's transaction; with no manager to ask, an admin alert says so."""
    if not invoices:
        return
    managers = _managers()
    for invoice in invoices:
        held_for = reasons.get(invoice.customer_id, [])
        why = "; ".join(held_for) or "service trouble"  # the admin alert's record: English
        if not managers:
            admin_alert_raise(
                reason="dunning_no_manager",
                message=(
                    f"Invoice {invoice.number} waits for a manager's dunning decision ({why}) "
                    "but there is no active manager to ask."
                ),
                target=invoice,
                customer_id=invoice.customer_id,
            )
            continue
        url = settings.SITE_URL + reverse("billing:staff_invoice", args=[invoice.pk])
        for manager in managers:
            notification_send(
                recipient=manager,
                kind="dunning_decision",
                subject=format_lazy(
                    gettext_lazy("Invoice {number} needs a dunning decision"),
                    number=invoice.number,
                ),
                template="billing/email/dunning_decision",
                # Worded in the manager's language when notification_send renders it.
                context={
                    "invoice": invoice,
                    "reasons": lazy(hold_reasons_text, str)(held_for),
                    "url": url,
                },
                dedupe_key=(
                    f"dunning-decision:{invoice.pk}:{invoice.attempt_count}:manager:{manager.pk}"
                ),
                channels=[Channel.IN_APP, Channel.EMAIL],
            )


def invoices_hold_at_schedule_end(invoices: list[Invoice]) -> list[Invoice]:
    """Of open invoices, locked by the caller, whose schedule has ended without a retry to give
    up on (hard declines, dunning.py), hold the renewals of held customers for a manager (saved,
    audited, managers asked); returns the others, for the caller to give up on."""
    holds = hold_reasons(customer_ids=[invoice.customer_id for invoice in invoices])
    held = [i for i in invoices if not i.is_first and i.customer_id in holds]
    for invoice in held:
        invoice_hold_for_decision(invoice)
        invoice.save(update_fields=["next_retry_at", "retry_stopped"])
    audit_rows_write([dunning_held_row(invoice, holds) for invoice in held])
    dunning_decisions_ask(held, reasons=holds)
    return [invoice for invoice in invoices if invoice not in held]


# --- Backfill (migration 0012) -----------------------------------------------------------------

# Contract states whose acceptance no longer changes (contracts.models: FINAL_STATES and
# EXPIRED); billing sits below contracts and cannot import them.
_CLOSED_CONTRACT_STATES = ("renewed", "cancelled", "expired")
_OPEN_REQUEST_STATUSES = ("new", "in_progress", "waiting_on_customer")
URGENT_SEVERITIES = ("high", "critical")


def dunning_holds_backfill(apps, *, now: datetime | None = None) -> int:
    """Place the holds the apps above would have placed had holds always existed: one per
    contract (not closed) with a red requirement, one per open high or critical request. Takes
    an app registry (the migration's historical one, or django.apps.apps); returns how many
    were placed. Idempotent: holds already on are kept."""
    hold_model = apps.get_model("billing", "DunningHold")
    requirement_model = apps.get_model("acceptance", "Requirement")
    request_model = apps.get_model("sysops", "ServiceRequest")
    now = now or clock.now()
    wanted: list[tuple[int, str, str, str]] = []
    red = (
        requirement_model.objects.filter(rating="red")
        .exclude(contract__state__in=_CLOSED_CONTRACT_STATES)
        .values_list("contract_id", "contract__customer_id", "contract__number")
        .distinct()
        .order_by("contract_id")
    )
    for contract_id, customer_id, number in red:
        label = number or f"Contract #{contract_id} (not numbered)"
        reason = acceptance_hold_reason(contract=label)
        wanted.append((customer_id, HoldSource.ACCEPTANCE.value, str(contract_id), reason))
    urgent = (
        request_model.objects.filter(
            status__in=_OPEN_REQUEST_STATUSES, severity__in=URGENT_SEVERITIES
        )
        .values_list("pk", "customer_id", "severity")
        .order_by("pk")
    )
    for request_id, customer_id, severity in urgent:
        reason = request_hold_reason(severity=severity, request_id=request_id)
        wanted.append((customer_id, HoldSource.REQUEST.value, str(request_id), reason))
    existing = set(
        hold_model.objects.filter(lifted_at__isnull=True).values_list(
            "customer_id", "source", "reference"
        )
    )
    new = [
        hold_model(
            customer_id=customer_id, source=source, reference=ref, reason=reason, placed_at=now
        )
        for customer_id, source, ref, reason in wanted
        if (customer_id, source, ref) not in existing
    ]
    hold_model.objects.bulk_create(new)
    return len(new)
