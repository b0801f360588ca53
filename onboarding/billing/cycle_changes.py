"""Changing the billing cycle now, prorated, as the customer may choose instead of waiting for
the period's end (services.subscription_change_cycle, still the default).

Only to a longer cycle (monthly to quarterly or annual, quarterly to annual): the current
period, counted from the anchor, is stretched to the new cycle's length from the same start, so
periods stay counted from the anchor. One invoice, two lines: the credit for the unused part of
the old period at the old price, and the new cycle's price over what is left of the stretched
period (proration.prorate_longer_cycle); paid at once like an upgrade, and applied only once paid
(plan_settle.py). A shorter cycle cannot start mid-period (its period would already be over):
it waits for the period's end.
"""

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from onboarding.accounts.models import User
from onboarding.alerts.failures import failure_reported
from onboarding.billing.models import (
    LIVE_STATUSES,
    Subscription,
)
from onboarding.billing.periods import duration_label, moment_stamp, period_end
from onboarding.billing.plan_changes import (
    PLAN_CHANGE_FAILED,
    PlanChangeOutcome,
    PlanChangeQuote,
    PlanChangeRefused,
    change_being_paid_refused,
    change_charged,
    change_invoice_issue,
    paid_for_current_terms,
    proration_quote,
    subscription_lock,
)
from onboarding.billing.plan_settle import units_label
from onboarding.billing.proration import prorate_longer_cycle
from onboarding.billing.taxes import tax_missing_refused
from onboarding.catalog.models import BillingCycle
from onboarding.catalog.selectors import CurrencyNotSold, plan_price_for
from onboarding.core import clock
from onboarding.core.errors import NotFound
from onboarding.payments.selectors import payment_method_active


@tax_missing_refused
def cycle_change_now_preview(*, subscription: Subscription, cycle: str) -> PlanChangeQuote:
    """What moving to `cycle` now would cost; changes nothing. A gap in the rates table for the
    customer's country refuses it and alerts an admin."""
    return cycle_change_now_quote(subscription=subscription, cycle=cycle)


def cycle_change_now_quote(*, subscription: Subscription, cycle: str) -> PlanChangeQuote:
    """cycle_change_now_preview without the admin alert, for use inside a transaction."""
    if cycle not in BillingCycle.values:
        raise PlanChangeRefused(
            f"Choose a billing cycle: {', '.join(BillingCycle.values)}.", field="cycle"
        )
    if subscription.status not in LIVE_STATUSES:
        raise PlanChangeRefused("A cancelled subscription's cycle cannot change.", field="cycle")
    if BillingCycle(cycle).months <= BillingCycle(subscription.cycle).months:
        raise PlanChangeRefused(
            "Only a longer billing cycle can start now; a shorter one starts with the next period.",
            field="cycle",
        )
    try:
        unit = plan_price_for(
            plan=subscription.plan, cycle=cycle, currency=subscription.currency
        ).amount_minor
    except (NotFound, CurrencyNotSold) as exc:
        raise PlanChangeRefused(exc.message, field="cycle") from exc
    paid = paid_for_current_terms(subscription)
    start, old_end = subscription.current_period_start, subscription.current_period_end
    new_end = period_end(
        anchor=subscription.billing_anchor, start=start, months=BillingCycle(cycle).months
    )
    at = min(max(clock.now().replace(microsecond=0), start), old_end)
    p = prorate_longer_cycle(
        period_start=start,
        old_end=old_end,
        new_end=new_end,
        at=at,
        old_total_minor=subscription.amount_minor * subscription.quantity,
        new_total_minor=unit * subscription.quantity,
        old_paid_minor=paid,
    )
    if p.net_minor < 0:
        raise PlanChangeRefused(
            "Starting that cycle now would credit more than it charges: choose it from the "
            "next period.",
            field="cycle",
        )
    plan = subscription.plan
    # In the customer's language: the preview shows them, the invoice (in it too) keeps them.
    with translation.override(subscription.customer.language or "en"):
        values = {
            "name": f"{plan.product.name} · {plan.name} "
            f"({units_label(plan, subscription.quantity)})",
            "old_cycle": str(subscription.get_cycle_display()).lower(),
            "cycle": str(BillingCycle(cycle).label).lower(),
            "start": moment_stamp(at),
            "old_end": moment_stamp(old_end),
            "end": moment_stamp(new_end),
            "left": duration_label(p.remaining_seconds),
            "period": duration_label(p.period_seconds),
        }
        credit = gettext("Unused time on %(name)s, %(old_cycle)s, from %(start)s to %(old_end)s")
        charge = gettext("%(name)s, %(cycle)s, from %(start)s to %(end)s (%(left)s of %(period)s)")
    return proration_quote(
        subscription,
        plan=plan,
        quantity=subscription.quantity,
        unit_minor=unit,
        at=at,
        proration=p,
        credit=(credit % values, old_end),
        charge=(charge % values, new_end),
        cycle=cycle,
        period_end=new_end,
    )


@tax_missing_refused
@failure_reported(PLAN_CHANGE_FAILED, target="subscription", context=("cycle",))
def subscription_change_cycle_now(
    *, subscription: Subscription, cycle: str, actor: User
) -> PlanChangeOutcome:
    """Move to a longer `cycle` now, paid at once with the card on file, applied once paid."""
    with transaction.atomic():
        locked = subscription_lock(subscription)
        change_being_paid_refused(locked, field="cycle")
        quote = cycle_change_now_quote(subscription=locked, cycle=cycle)
        if payment_method_active(customer=locked.customer) is None:
            raise PlanChangeRefused("Add a card first.", field="payment_method")
        change, invoice = change_invoice_issue(locked, quote, actor)
    return change_charged(quote=quote, change=change, invoice=invoice)
