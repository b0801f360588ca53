"""The managers' health queue under /staff/health/: customers ranked by score and trend, with
a chart of how many customers have each score. StaffAccessMiddleware lets in every staff role
(sysops, managers, admins), as for the acceptance console and the risk board."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from onboarding.core.pagination import page_number
from onboarding.health.forms import HealthQueueFilterForm
from onboarding.health.models import Band
from onboarding.health.reads import QueueSort, health_queue


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    form = HealthQueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    result = health_queue(
        band=data.get("band") or None,
        sort=data.get("sort") or QueueSort.SCORE,
        page=page_number(request),
    )
    return render(
        request,
        "health/queue.html",
        {
            "form": form,
            "queue": result,
            "bands": Band.choices,
            "sorts": QueueSort.CHOICES,
        },
        status=400 if form.errors else 200,
    )
