from django.db.models import Prefetch

from onboarding.catalog.models import BillingCycle, Plan, PlanPrice
from onboarding.core.errors import NotFound


def plan_list_on_sale() -> list[Plan]:
    """Plans a visitor can buy, each with its product and prices, in two queries."""
    return list(
        Plan.objects.on_sale()
        .select_related("product")
        .prefetch_related(Prefetch("prices", queryset=PlanPrice.objects.order_by("cycle")))
    )


def plan_get_on_sale(*, slug: str) -> Plan:
    plan = Plan.objects.on_sale().select_related("product").filter(slug=slug).first()
    if plan is None:
        raise NotFound("That plan does not exist or is no longer on sale.", field="plan")
    return plan


def plan_price_for(*, plan: Plan, cycle: str) -> PlanPrice:
    if cycle not in BillingCycle.values:
        raise NotFound(
            f"Choose a billing cycle: {', '.join(BillingCycle.values)}.", field="billing_cycle"
        )
    price = PlanPrice.objects.filter(plan=plan, cycle=cycle).select_related("plan").first()
    if price is None:
        raise NotFound(
            f"{plan.name} is not sold with {BillingCycle(cycle).label.lower()} billing.",
            field="billing_cycle",
        )
    return price
