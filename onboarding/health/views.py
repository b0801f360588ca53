"""The managers' health queue under /staff/health/: customers ranked by score and trend, with
a chart of how many customers have each score; and the managers' review of a customer's fall
into red (reviews.py). StaffAccessMiddleware lets in every staff role (sysops, managers,
admins), as for the acceptance console and the risk board; acknowledging and acting on a review
is for managers and admins (role_required, and again in the services)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.accounts.permissions import role_required
from onboarding.accounts.selectors import staff_assignees
from onboarding.core import clock
from onboarding.core.errors import NotFound
from onboarding.core.forms import refusals_on
from onboarding.core.pagination import page_number
from onboarding.health.forms import HealthQueueFilterForm, ReviewActForm
from onboarding.health.models import Band
from onboarding.health.reads import QueueSort, customer_health_card, health_queue
from onboarding.health.reviews import (
    MANAGER_ROLES,
    health_review_acknowledge,
    health_review_act,
    health_review_get,
)
from onboarding.health.selectors import health_reviews_of


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


# --- the managers' review of a fall into red (reviews.py) ----------------------------------------


def _review_or_404(review_id: int):
    try:
        return health_review_get(review_id=review_id)
    except NotFound as missing:
        raise Http404(missing.message) from None


def _review_context(request: HttpRequest, review, *, act_form=None) -> dict:
    review = health_review_get(review_id=review.pk)
    now = clock.now()
    return {
        "review": review,
        "h": customer_health_card(customer_id=review.customer_id),
        "customer": review.customer,
        "earlier": [r for r in health_reviews_of(customer_id=review.customer_id) if r != review],
        "now": now,
        "overdue": review.is_overdue(now),
        "ack_overdue": review.is_ack_overdue(now),
        "may_act": request.user.role in MANAGER_ROLES,
        "act_form": act_form or ReviewActForm(staff=staff_assignees()),
    }


def _review_answer(request: HttpRequest, review, *, act_form=None, status: int = 200):
    """The review panel for htmx (the form's errors in it, 422), else the whole page."""
    context = _review_context(request, review, act_form=act_form)
    # htmx: the panel, and the health card out of band (its line about the review changed).
    context["oob"] = bool(request.htmx)
    template = "health/_review_panel.html" if request.htmx else "health/review.html"
    return render(request, template, context, status=status)


@require_GET
def review_page(request: HttpRequest, review_id: int) -> HttpResponse:
    return _review_answer(request, _review_or_404(review_id))


@require_POST
@role_required(*MANAGER_ROLES)
def review_acknowledge_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review_or_404(review_id)
    with refusals_on(request=request) as outcome:
        health_review_acknowledge(review=review, actor=request.user)
    if outcome.ok:
        messages.success(request, gettext("Acknowledged; choose the next action."))
    if request.htmx:
        return _review_answer(request, review, status=200 if outcome.ok else 409)
    return redirect("health:review", review_id=review.pk)


@require_POST
@role_required(*MANAGER_ROLES)
def review_act_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review_or_404(review_id)
    form = ReviewActForm(request.POST, staff=staff_assignees())
    ok = False
    if form.is_valid():
        with refusals_on(form) as outcome:
            health_review_act(
                review=review,
                actor=request.user,
                action=form.cleaned_data["action"],
                owner=form.chosen_owner(),
                due=form.cleaned_data["due"],
                note=form.cleaned_data["note"],
            )
        ok = outcome.ok
    if not ok:
        return _review_answer(request, review, act_form=form, status=422)
    messages.success(request, gettext("Next action recorded."))
    if request.htmx:
        return _review_answer(request, review)
    return redirect("health:review", review_id=review.pk)
