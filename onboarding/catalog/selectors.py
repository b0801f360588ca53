import copy

from django.db.models import Prefetch

from onboarding.catalog.models import BillingCycle, Plan, PlanPrice
from onboarding.catalog.snapshot import CatalogSnapshot, catalog_snapshot
from onboarding.core.errors import NotFound


def _plans_on_sale_from_database() -> list[Plan]:
    return list(
        Plan.objects.on_sale()
        .select_related("product")
        .prefetch_related(
            Prefetch("prices", queryset=PlanPrice.objects.order_by(BillingCycle.order()))
        )
    )


def catalog_on_sale() -> CatalogSnapshot:
    """The plans on sale as this process last read them, current to the shared catalogue
    version (catalog/snapshot.py): one cache read, no query, while nothing changes."""
    return catalog_snapshot(_plans_on_sale_from_database)


def plan_list_on_sale() -> list[Plan]:
    """Plans a visitor can buy, each with its product and prices (ordered by cycle). The
    objects are shared by every request of this process: read them, never change them."""
    return catalog_on_sale().plans


def plan_get_on_sale(*, slug: str) -> Plan:
    """One plan on sale with its product and prices; a copy the caller may change."""
    plan = catalog_on_sale().by_slug.get(slug)
    if plan is None:
        raise NotFound("That plan does not exist or is no longer on sale.", field="plan")
    return copy.copy(plan)


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
