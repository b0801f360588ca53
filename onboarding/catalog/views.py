from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from onboarding.catalog.models import BillingCycle
from onboarding.catalog.selectors import catalog_on_sale
from onboarding.catalog.snapshot import CatalogSnapshot


def _plans_html(catalog: CatalogSnapshot, cycle: str) -> SafeString:
    """The cycle tabs and plan cards: the same for every visitor, so rendered once per catalogue
    version and cycle and kept with the snapshot (a change to the catalogue drops them too)."""

    def build() -> SafeString:
        return SafeString(
            render_to_string(
                "catalog/_plans.html",
                {
                    # Each plan with its price for the chosen cycle (None: not sold that way).
                    "rows": [
                        (plan, next((p for p in plan.prices.all() if p.cycle == cycle), None))
                        for plan in catalog.plans
                    ],
                    "cycle": cycle,
                    "cycles": BillingCycle.choices,
                },
            )
        )

    return catalog.derive(("pricing", cycle), build)


def pricing(request: HttpRequest) -> HttpResponse:
    cycle = request.GET.get("cycle")
    if cycle not in BillingCycle.values:
        cycle = BillingCycle.ANNUAL.value
    return render(
        request, "catalog/pricing.html", {"plans_html": _plans_html(catalog_on_sale(), cycle)}
    )
