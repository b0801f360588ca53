from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from onboarding.catalog.models import BillingCycle
from onboarding.catalog.selectors import plan_list_on_sale


def pricing(request: HttpRequest) -> HttpResponse:
    cycle = request.GET.get("cycle")
    if cycle not in BillingCycle.values:
        cycle = BillingCycle.ANNUAL.value
    return render(
        request,
        "catalog/pricing.html",
        {
            # Each plan with its price for the chosen cycle (None: not sold that way).
            "rows": [
                (plan, next((p for p in plan.prices.all() if p.cycle == cycle), None))
                for plan in plan_list_on_sale()
            ],
            "cycle": cycle,
            "cycles": BillingCycle.choices,
        },
    )
