"""What a proration invoice's payment does to its plan change (plan_changes.py issues both).

Paid: the subscription takes the new plan, unit price and quantity from that moment (and a
scheduled downgrade is dropped: the customer chose again). Declined or failed: the proration
invoice is voided, so no dunning retries it, the change is marked declined and the
subscription stays as it was; the invoice's follow-up gives the seed's "payment incomplete"
handling (the payment-failed notice asking for another card, and the admin alert), and the
customer is told here that the plan did not change. A pending payment leaves the change
waiting until payments settle it.

Called by charging.outcomes_apply for every batch of answers, in its transaction, whoever
applies them (the change's own charge, a resent attempt, the reconciler): one query when no
invoice of the batch pays for a change.
"""

from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy

from onboarding.billing import events

# units_label is re-exported: the line words live in line_texts.
from onboarding.billing.line_texts import units_label, units_label_lazy  # noqa: F401
from onboarding.billing.models import (
    PAYMENT_FAILED,
    Invoice,
    InvoiceStatus,
    PlanChange,
    PlanChangeStatus,
    Subscription,
)
from onboarding.notifications.services import notification_send, outbox_publish

# Published in the transaction that changes a subscription's plan, quantity or cycle mid-term.
SUBSCRIPTION_TERMS_CHANGED_TOPIC = "subscription.terms_changed"


def terms_changed_publish(
    *, subscription_id: int, plan_id: int, quantity: int, cycle: str, key: str, now: datetime
) -> None:
    """Tell the apps above that a subscription's plan, quantity or cycle changed (contracts
    amend the contract, acceptance adds the new plan's requirements): docs/events.md."""
    outbox_publish(
        topic=SUBSCRIPTION_TERMS_CHANGED_TOPIC,
        payload={
            "subscription_id": subscription_id,
            "plan_id": plan_id,
            "quantity": quantity,
            "cycle": cycle,
            "changed_at": now.isoformat(),
        },
        dedupe_key=f"subscription-terms-changed:{subscription_id}:{key}",
    )


def plan_changes_follow(*, invoice_ids: list[int], now: datetime) -> int:
    """Apply or decline the changes waiting for these invoices; returns how many moved."""
    changes = list(
        PlanChange.objects.select_for_update(of=("self",))
        .filter(invoice_id__in=invoice_ids, status=PlanChangeStatus.AWAITING_PAYMENT)
        .select_related("invoice", "from_plan__product", "to_plan__product", "requested_by")
    )
    for change in changes:
        invoice = change.invoice
        if invoice.status == InvoiceStatus.PAID:
            plan_change_apply(change=change, now=now)
        elif invoice.payment_state in PAYMENT_FAILED:
            _decline(change, invoice, now)
    return len(changes)


def plan_change_apply(*, change: PlanChange, now: datetime) -> Subscription:
    """The change's invoice is paid (or there was nothing to pay): the new terms hold."""
    subscription = (
        Subscription.objects.select_for_update()
        .select_related("customer__user")
        .get(pk=change.subscription_id)
    )
    subscription.plan_id = change.to_plan_id
    subscription.amount_minor = change.to_amount_minor
    subscription.quantity = change.to_quantity
    subscription.pending_plan_id, subscription.pending_quantity = None, None
    fields = ["plan", "amount_minor", "quantity", "pending_plan", "pending_quantity"]
    if change.to_cycle:
        # A longer cycle from now: the period is stretched to the new cycle's length.
        subscription.cycle, subscription.pending_cycle = change.to_cycle, ""
        subscription.current_period_end = subscription.next_invoice_at = change.period_end
        fields += ["cycle", "pending_cycle", "current_period_end", "next_invoice_at"]
    subscription.save(update_fields=fields)
    change.status, change.decided_at = PlanChangeStatus.APPLIED, now
    change.save(update_fields=["status", "decided_at"])
    events.subscription_plan_changed(
        actor=change.requested_by, subscription=subscription, change=change
    )
    terms_changed_publish(
        subscription_id=subscription.pk,
        plan_id=subscription.plan_id,
        quantity=subscription.quantity,
        cycle=subscription.cycle,
        key=f"change:{change.pk}",
        now=now,
    )
    _tell(subscription, change, kind="plan_changed", subject=gettext_lazy("Your plan has changed"))
    return subscription


def _decline(change: PlanChange, invoice: Invoice, now: datetime) -> None:
    invoice.move_to(InvoiceStatus.VOID)
    invoice.voided_at, invoice.next_retry_at = now, None
    invoice.save(update_fields=["status", "voided_at", "next_retry_at"])
    change.status, change.decided_at = PlanChangeStatus.DECLINED, now
    change.save(update_fields=["status", "decided_at"])
    subscription = Subscription.objects.select_related("customer__user").get(
        pk=change.subscription_id
    )
    events.subscription_plan_change_declined(
        subscription=subscription, change=change, invoice=invoice
    )
    _tell(
        subscription,
        change,
        kind="plan_change_declined",
        subject=gettext_lazy("Your plan was not changed"),
    )


def _tell(subscription: Subscription, change: PlanChange, *, kind: str, subject: str) -> None:
    customer = subscription.customer
    notification_send(
        recipient=customer.user,
        kind=kind,
        subject=subject,
        template=f"billing/email/{kind}",
        context={
            "customer": customer,
            "change": change,
            "invoice": change.invoice,
            # Lazy: written in the notice's language when notification_send renders it.
            "from_terms": units_label_lazy(change.from_plan, change.from_quantity),
            "to_terms": units_label_lazy(change.to_plan, change.to_quantity),
            "site_url": settings.SITE_URL,
        },
        dedupe_key=f"{kind}:{change.pk}",
    )
