"""Invoices a bill run should have issued and did not: found, alerted and issued now."""

from datetime import datetime, timedelta

from django.conf import settings

from onboarding.accounts.models import Customer
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing import events
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import LIVE_STATUSES, Subscription
from onboarding.core import clock
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_fail

# At most this many subscriptions get an alert each; more is one alert with the count.
_MISSING_ALERTS_EACH = 20
FIRST_INVOICE_LATE = (
    "Your first invoice is late: we are issuing it now, and our team has been told."
)


def invoices_missing_reconcile(*, now: datetime | None = None) -> int:
    """Find live subscriptions whose period began more than the grace time ago without an
    invoice, alert the admins ("missing_invoice") and invoice them now; returns how many."""
    now = now or clock.now()
    since = now - timedelta(minutes=settings.BILLING_MISSING_INVOICE_GRACE_MINUTES)
    missing = Subscription.objects.filter(
        clock.customer_scope("customer"), status__in=LIVE_STATUSES, next_invoice_at__lt=since
    )
    count = missing.count()
    if not count:
        return 0
    sample = list(missing.order_by("next_invoice_at", "pk")[:_MISSING_ALERTS_EACH])
    if count <= _MISSING_ALERTS_EACH:
        for subscription in sample:
            admin_alert_raise(
                reason="missing_invoice",
                message=(
                    f"Subscription {subscription.pk}'s period began at "
                    f"{subscription.next_invoice_at:%Y-%m-%d %H:%M} UTC without an invoice; "
                    "it is being invoiced now."
                ),
                target=subscription,
                customer_id=subscription.customer_id,
                context={"next_invoice_at": subscription.next_invoice_at.isoformat()},
            )
    else:
        admin_alert_raise(
            reason="missing_invoice",
            message=(
                f"{count} subscriptions' periods began without an invoice (the oldest at "
                f"{sample[0].next_invoice_at:%Y-%m-%d %H:%M} UTC); they are being invoiced now. "
                "Is the bill run scheduled?"
            ),
            object_type=events.SUBSCRIPTION_TYPE,
            object_id="many",
            context={"count": count, "first_ids": [s.pk for s in sample]},
        )
    # The customer waiting for a first invoice sees why on their journey; issuing it marks the
    # step done again.
    waiting = missing.filter(current_period_end__isnull=True).values_list("customer_id", flat=True)
    for customer in Customer.objects.filter(pk__in=waiting):
        journey_step_fail(customer=customer, step=Step.FIRST_INVOICE, reason=FIRST_INVOICE_LATE)
    bill_run_execute(run_date=now.date())
    return count
