"""The change scheduled for a period's end (plan_changes.py, services.subscription_change_cycle),
when the bill run renews the subscription into its next period.

A change that moves the subscription to a catalogue price (another plan, or another cycle) is
made only if that plan is still on sale and has a price for the cycle in the subscription's
currency. A quantity decrease on the same plan keeps the subscription's own unit price, so it
needs nothing from the catalogue and is always made.

When the catalogue lost the price, or the plan left the sale, the change is not made: the
subscription renews on its current plan, quantity and cycle and the scheduled change is cleared.
That is the system's fault, not the customer's, so the renewal also records the change as
NOT_APPLIED with its reason (a PlanChange row), writes an audit entry (the customer view's
history shows it) and tells the customer in their preferred inbox, all in the batch's
transaction; the bill run raises one admin alert per plan once the batch committed
(scheduled_changes_not_applied_report).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import Customer
from onboarding.alerts.services import admin_alert_raise
from onboarding.audit.bulk import audit_rows_write
from onboarding.billing import events
from onboarding.billing.billrun_rows import DueRow
from onboarding.billing.line_texts import cycle_word_lazy, units_label_lazy
from onboarding.billing.models import PlanChange, PlanChangeStatus
from onboarding.catalog.models import Plan
from onboarding.notifications.services import notification_send

NOT_APPLIED_ALERT = "scheduled_change_not_applied"
NOT_APPLIED_NOTICE = "scheduled_change_not_applied"

Prices = dict[tuple[int, str, str], int]


@dataclass(frozen=True, slots=True)
class NotApplied:
    """A scheduled change the renewal could not make, and why."""

    subscription_id: int
    customer_id: int
    plan_id: int  # the terms the subscription renewed on
    quantity: int
    cycle: str
    to_plan_id: int
    to_quantity: int
    to_cycle: str  # "" unless a cycle change was scheduled
    unpriced_plan_id: int  # the plan whose price or sale failed (the admin alert's object)
    reason: str  # English, for the audit log and the admin alert
    period_start: datetime
    # The reasons as (plan name, cycle, currency), currency "" when the plan is off sale: the
    # customer's notice words them in its own language.
    causes: tuple[tuple[str, str, str], ...] = ()


def plans_on_sale(claimed: list[DueRow]) -> set[int]:
    """The plans scheduled changes of `claimed` move to that are still on sale: one query, and
    none when no row has a change that needs the catalogue."""
    wanted = {d.pending_plan_id for d in claimed if d.pending_plan_id} | {
        d.plan_id for d in claimed if d.pending_cycle
    }
    if not wanted:
        return set()
    return set(Plan.objects.on_sale().filter(pk__in=wanted).values_list("pk", flat=True))


def _unpriced(
    plan_id: int, cycle: str, currency: str, prices: Prices, on_sale: set[int], name: str
) -> tuple[str, tuple[str, str, str]]:
    """Why `plan_id` cannot be renewed into at `cycle` in `currency`, in English and as the
    cause the notice words; ("", ...) if it can."""
    if plan_id not in on_sale:
        return f"{name} is no longer on sale.", (name, cycle, "")
    if (plan_id, cycle, currency) not in prices:
        return (
            f"{name} has no {CYCLE_WORDS_EN[cycle]} price in {currency}.",
            (name, cycle, currency),
        )
    return "", (name, cycle, currency)


# The English the audit log and the admin alert keep, whatever language the run is in.
CYCLE_WORDS_EN = {"monthly": "monthly", "quarterly": "quarterly", "annual": "annual"}


def _causes_text(causes: tuple[tuple[str, str, str], ...]) -> str:
    """The reasons a change was not made, for the customer in the active language."""
    texts = []
    for name, cycle, currency in causes:
        if not currency:
            texts.append(gettext("%(plan)s is no longer on sale.") % {"plan": name})
        else:
            texts.append(
                gettext("%(plan)s has no %(cycle)s price in %(currency)s.")
                % {"plan": name, "cycle": cycle_word_lazy(cycle), "currency": currency}
            )
    return " ".join(texts)


causes_text_lazy = lazy(_causes_text, str)


def scheduled_change_apply(
    d: DueRow, *, prices: Prices, on_sale: set[int], names: dict[int, str]
) -> tuple[bool, NotApplied | None]:
    """Make `d`'s scheduled change for the period starting now, in place: (whether the plan or
    quantity changed, what could not be made). The scheduled change is cleared either way."""
    to_plan = d.pending_plan_id or d.plan_id
    to_quantity = d.pending_quantity or d.quantity
    to_cycle = d.pending_cycle
    reasons: list[str] = []
    causes: list[tuple[str, str, str]] = []
    unpriced_plan = 0
    changed = False
    if d.pending_cycle:
        # The new cycle starts with this period, at the plan's price for it.
        why, cause = _unpriced(
            d.plan_id, d.pending_cycle, d.currency, prices, on_sale, names.get(d.plan_id, "")
        )
        if why:
            reasons.append(why)
            causes.append(cause)
            unpriced_plan = d.plan_id
        else:
            d.amount_minor = prices[(d.plan_id, d.pending_cycle, d.currency)]
            d.cycle = d.pending_cycle
        d.pending_cycle = ""
    if d.pending_plan_id:
        plan_id = d.pending_plan_id
        why, cause = _unpriced(
            plan_id, d.cycle, d.currency, prices, on_sale, names.get(plan_id, "")
        )
        if why:
            # The plan and quantity go together: the subscription renews on what it has.
            reasons.append(why)
            causes.append(cause)
            unpriced_plan = unpriced_plan or plan_id
        else:
            d.plan_id, d.amount_minor = plan_id, prices[(plan_id, d.cycle, d.currency)]
            if d.pending_quantity:
                d.quantity = d.pending_quantity
            changed = True
    elif d.pending_quantity:
        d.quantity, changed = d.pending_quantity, True
    d.pending_plan_id, d.pending_quantity = None, None
    if not reasons:
        return changed, None
    return changed, NotApplied(
        subscription_id=d.pk,
        customer_id=d.customer_id,
        plan_id=d.plan_id,
        quantity=d.quantity,
        cycle=d.cycle,
        to_plan_id=to_plan,
        to_quantity=to_quantity,
        to_cycle=to_cycle,
        unpriced_plan_id=unpriced_plan,
        reason=" ".join(reasons),
        period_start=d.next_invoice_at,
        causes=tuple(causes),
    )


def scheduled_changes_not_applied(*, rows: list[NotApplied], now: datetime) -> None:
    """Record, audit and tell the customers of the changes the renewal could not make, in the
    batch's transaction (so nothing is recorded for a renewal that rolled back)."""
    if not rows:
        return
    plans = Plan.objects.select_related("product").in_bulk(
        {row.plan_id for row in rows} | {row.to_plan_id for row in rows}
    )
    customers = Customer.objects.select_related("user").in_bulk({row.customer_id for row in rows})
    PlanChange.objects.bulk_create(
        PlanChange(
            subscription_id=row.subscription_id,
            status=PlanChangeStatus.NOT_APPLIED,
            from_plan_id=row.plan_id,
            to_plan_id=row.to_plan_id,
            from_quantity=row.quantity,
            to_quantity=row.to_quantity,
            to_amount_minor=0,  # never priced
            to_cycle=row.to_cycle,
            effective_at=row.period_start,
            decided_at=now,
            reason=row.reason[:255],
        )
        for row in rows
    )
    audit_rows_write(
        [
            events.scheduled_change_not_applied_row(
                subscription_id=row.subscription_id,
                customer_id=row.customer_id,
                scheduled=(plans[row.to_plan_id].slug, row.to_quantity),
                kept=(plans[row.plan_id].slug, row.quantity),
                reason=row.reason,
            )
            for row in rows
        ]
    )
    for row in rows:
        customer = customers[row.customer_id]
        kept, wanted = plans[row.plan_id], plans[row.to_plan_id]
        notification_send(
            recipient=customer.user,
            kind=NOT_APPLIED_NOTICE,
            subject=gettext_lazy("Your scheduled plan change could not be made"),
            template=f"billing/email/{NOT_APPLIED_NOTICE}",
            context={
                "customer": customer,
                "renewed_on": row.period_start,
                "plan": kept,
                # Lazy: worded when notification_send renders them, in the notice's language.
                "terms": units_label_lazy(kept, row.quantity),
                "cycle": cycle_word_lazy(row.cycle),
                "wanted_plan": wanted,
                "wanted_terms": units_label_lazy(wanted, row.to_quantity),
                "wanted_cycle": cycle_word_lazy(row.to_cycle) if row.to_cycle else "",
                "reason": causes_text_lazy(row.causes) if row.causes else row.reason,
                "site_url": settings.SITE_URL,
            },
            dedupe_key=(
                f"{NOT_APPLIED_NOTICE}:{row.subscription_id}:{row.period_start.isoformat()}"
            ),
        )


def scheduled_changes_not_applied_report(rows: list[NotApplied]) -> None:
    """One admin alert per plan that lost its price or its sale, after the batch committed: the
    catalogue is the system's to fix, and it counts the renewals that met it until then."""
    by_plan: dict[int, list[NotApplied]] = {}
    for row in rows:
        by_plan.setdefault(row.unpriced_plan_id, []).append(row)
    for plan_id, missed in by_plan.items():
        ids = sorted(row.subscription_id for row in missed)
        customers = {row.customer_id for row in missed}
        admin_alert_raise(
            reason=NOT_APPLIED_ALERT,
            message=(
                f"{len(ids)} scheduled plan change(s) could not be made at renewal: "
                f"{missed[0].reason} The subscriptions renewed on their current terms and the "
                "customers were told. Add the missing price (Admin > Catalog) or put the plan "
                "back on sale before more scheduled changes fall due."
            ),
            object_type="catalog.plan",
            object_id=str(plan_id),
            customer_id=customers.pop() if len(customers) == 1 else None,
            context={
                "subscriptions": ids[:50],
                "count": len(ids),
                "reasons": sorted({row.reason for row in missed}),
            },
        )
