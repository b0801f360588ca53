"""The managers' service credit pages under /staff/service-credits/: the proposals (pending
first), one proposal with its approve and decline forms. Managers and admins only
(role_required here, and the services check again)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.accounts.permissions import role_required
from onboarding.core.forms import refusals_on
from onboarding.core.pagination import page_number
from onboarding.sysops.credit_models import DECIDERS
from onboarding.sysops.credit_selectors import service_credit_get, service_credit_list
from onboarding.sysops.forms import ServiceCreditApproveForm, ServiceCreditDeclineForm
from onboarding.sysops.service_credits import service_credit_approve, service_credit_decline

PAGE_SIZE = 50


@require_GET
@role_required(*DECIDERS)
def service_credit_list_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(service_credit_list(), PAGE_SIZE).get_page(page_number(request))
    return render(request, "sysops/service_credits.html", {"page": page})


def _detail(request: HttpRequest, credit, *, approve_form=None, decline_form=None, status=200):
    return render(
        request,
        "sysops/service_credit.html",
        {
            "credit": credit,
            "approve_form": approve_form or ServiceCreditApproveForm(),
            "decline_form": decline_form or ServiceCreditDeclineForm(),
        },
        status=status,
    )


@require_GET
@role_required(*DECIDERS)
def service_credit_page(request: HttpRequest, credit_id: int) -> HttpResponse:
    return _detail(request, service_credit_get(credit_id=credit_id))


@require_POST
@role_required(*DECIDERS)
def service_credit_approve_view(request: HttpRequest, credit_id: int) -> HttpResponse:
    credit = service_credit_get(credit_id=credit_id)
    form = ServiceCreditApproveForm(request.POST)
    if form.is_valid():
        with refusals_on(form) as outcome:
            approved = service_credit_approve(credit=credit, actor=request.user)
        if outcome.ok:
            note = approved.credit_note
            messages.success(
                request,
                gettext("Service credit {reference} approved: credit note {number} issued.").format(
                    reference=approved.reference, number=note.number
                )
                if note.number
                else gettext(
                    "Service credit {reference} approved; the payment provider has not "
                    "confirmed the refund yet, it is sent again automatically."
                ).format(reference=approved.reference),
            )
            return redirect("sysops:service_credit", credit_id=credit.pk)
    # A refusal may have changed the proposal (failed, or priced on a newly paid invoice).
    credit = service_credit_get(credit_id=credit_id)
    return _detail(request, credit, approve_form=form, status=422)


@require_POST
@role_required(*DECIDERS)
def service_credit_decline_view(request: HttpRequest, credit_id: int) -> HttpResponse:
    credit = service_credit_get(credit_id=credit_id)
    form = ServiceCreditDeclineForm(request.POST)
    if form.is_valid():
        with refusals_on(form) as outcome:
            service_credit_decline(
                credit=credit, actor=request.user, reason=form.cleaned_data["reason"]
            )
        if outcome.ok:
            messages.success(
                request,
                gettext("Service credit {reference} declined.").format(reference=credit.reference),
            )
            return redirect("sysops:service_credit", credit_id=credit.pk)
    return _detail(request, credit, decline_form=form, status=422)
