from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext

from onboarding.journey.selectors import journey_funnel


def funnel(request: HttpRequest) -> HttpResponse:
    # Staff only: StaffAccessMiddleware guards every /staff/ path.
    return render(request, "journey/funnel.html", {"rows": journey_funnel()})


def funnel_data(request: HttpRequest) -> JsonResponse:
    rows = journey_funnel()
    return JsonResponse(
        {
            "labels": [str(row.step.label) for row in rows],
            "series": {
                "standing": gettext("Standing at this step"),
                "failed": gettext("Failed at this step"),
                "done": gettext("Done"),
                "conversion": gettext("Conversion from the first step (%)"),
            },
            "standing": [row.standing for row in rows],
            "failed": [row.failed for row in rows],
            "done": [row.done for row in rows],
            # Decimals travel as strings ("42.5"); null where nobody reached the step.
            "conversion_pct": [row.conversion_pct for row in rows],
            "drop_off_pct": [row.drop_off_pct for row in rows],
        }
    )
