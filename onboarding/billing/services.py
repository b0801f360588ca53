"""Writes for subscriptions: the purchase and the billing-cycle change.

Invoicing and charging a subscription are the bill run's job (issue 4); a purchase creates the
subscription due for its first invoice now.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onboarding.accounts.models import Customer, User
from onboarding.audit.services import audit_record
from onboarding.billing.models import LIVE_STATUSES, Subscription
from onboarding.catalog.models import BillingCycle, Plan
from onboarding.catalog.selectors import plan_price_for
from onboarding.core.errors import Conflict, DomainError
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from onboarding.notifications.services import notification_send
from onboarding.payments.selectors import payment_method_active


def _purchase_blockers(customer: Customer) -> None:
    missing = customer.missing_for_purchase
    if missing:
        labels = ", ".join(Customer._meta.get_field(name).verbose_name for name in missing)
        raise DomainError(f"Complete your billing address first: {labels}.", field="profile")
    if payment_method_active(customer=customer) is None:
        raise DomainError("Add a card before you buy.", field="payment_method")


@transaction.atomic
def subscription_purchase(
    *, customer: Customer, plan: Plan, cycle: str, actor: User
) -> Subscription:
    """Buy `plan` billed per `cycle`; the subscription starts now, due for its first invoice."""
    price = plan_price_for(plan=plan, cycle=cycle)
    _purchase_blockers(customer)
    if Subscription.objects.filter(customer=customer, plan=plan, status__in=LIVE_STATUSES).exists():
        raise Conflict(f"You already have {plan.name}.", field="plan")
    now = timezone.now()
    try:
        with transaction.atomic():
            subscription = Subscription.objects.create(
                customer=customer,
                plan=plan,
                cycle=cycle,
                amount_minor=price.amount_minor,
                currency=plan.currency,
                tax_rate_bp=plan.tax_rate_bp,
                purchased_at=now,
                billing_anchor=now,
                next_invoice_at=now,
            )
    except IntegrityError as exc:  # a concurrent purchase of the same plan won the race
        raise Conflict(f"You already have {plan.name}.", field="plan") from exc
    audit_record(
        action="subscription.purchased",
        actor=actor,
        target=subscription,
        customer_id=customer.pk,
        changes={
            "plan": [None, plan.slug],
            "cycle": [None, cycle],
            "price": [None, str(subscription.price)],
        },
    )
    journey_step_complete(customer=customer, step=Step.CARD_AND_CYCLE)
    notification_send(
        recipient=customer.user,
        kind="purchase_confirmed",
        subject=f"Your purchase of {plan.name}",
        template="billing/email/purchase_confirmed",
        context={
            "subscription": subscription,
            "plan": plan,
            "customer": customer,
            "site_url": settings.SITE_URL,
        },
        dedupe_key=f"purchase-confirmed:{subscription.pk}",
    )
    return subscription


@transaction.atomic
def subscription_change_cycle(
    *, subscription: Subscription, cycle: str, actor: User
) -> Subscription:
    """Choose another billing cycle; it takes effect when the next period starts."""
    subscription = (
        Subscription.objects.select_for_update().select_related("plan").get(pk=subscription.pk)
    )
    if subscription.status not in LIVE_STATUSES:
        raise Conflict("A cancelled subscription's billing cycle cannot change.", field="cycle")
    plan_price_for(plan=subscription.plan, cycle=cycle)  # refuses a cycle the plan is not sold in
    before = subscription.pending_cycle or subscription.cycle
    subscription.pending_cycle = "" if cycle == subscription.cycle else cycle
    if before == cycle:
        return subscription
    subscription.save(update_fields=["pending_cycle"])
    audit_record(
        action="subscription.cycle_changed",
        actor=actor,
        target=subscription,
        customer_id=subscription.customer_id,
        changes={"cycle": [before, cycle]},
        message=f"effective from the next period ({BillingCycle(cycle).label})",
    )
    return subscription
