"""Acceptance's staff pages under /staff/acceptance/: the console, a contract's requirements and
review, and the manager's actions. They belong to sysops, above acceptance, because the contract
page shows the customer's full overview beside the acceptance. StaffAccessMiddleware has let only
staff with TOTP in; manager actions are narrowed further by role_required and, again, by the
services."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.acceptance.forms import (
    CancelContractForm,
    ConditionsForm,
    ConsoleFilterForm,
    EscalateForm,
    RateForm,
    RemediationForm,
    RequirementEditForm,
    RequirementForm,
)
from onboarding.acceptance.requirements import (
    requirement_add,
    requirement_rate,
    requirement_remove,
    requirement_update,
    requirements_start_from_template,
)
from onboarding.acceptance.reviews import (
    review_accept_with_conditions,
    review_acknowledge,
    review_cancel_contract,
    review_escalate,
    review_request_remediation,
)
from onboarding.acceptance.selectors import (
    acceptance_console,
    acceptance_view,
    contract_for_acceptance,
    requirement_get,
    review_get,
)
from onboarding.acceptance.services import MANAGER_ROLES
from onboarding.accounts.permissions import role_required
from onboarding.accounts.selectors import staff_assignees
from onboarding.core.forms import refusals_on
from onboarding.sysops.overview_cache import customer_overview_cached


@require_GET
def console(request: HttpRequest) -> HttpResponse:
    form = ConsoleFilterForm(request.GET or None)
    show = (form.cleaned_data.get("show") if form.is_valid() else "") or "attention"
    return render(
        request,
        "acceptance/console.html",
        {"rows": acceptance_console(show=show), "form": form, "show": show},
    )


def _forms(view, staff) -> dict:
    """The blank forms the contract page and its fragments show."""
    return {
        "rate_form": RateForm(),
        "conditions_form": ConditionsForm(),
        "remediation_form": RemediationForm(staff=staff),
        "escalate_form": EscalateForm(),
        "cancel_form": CancelContractForm(),
        "edit_forms": {
            r.pk: RequirementEditForm(
                staff=staff,
                initial={
                    "title": r.title,
                    "criteria": r.criteria,
                    "owner": r.owner_id,
                    "notes": r.notes,
                },
                prefix=f"r{r.pk}",
            )
            for r in view.requirements
        },
        "error_for": None,
    }


def _page(request: HttpRequest, contract_id, *, forms: dict | None = None, status: int = 200):
    contract = contract_for_acceptance(contract_id=contract_id)
    view = acceptance_view(contract=contract)
    staff = staff_assignees()
    context = {
        "v": view,
        "o": customer_overview_cached(customer=contract.customer),
        "is_manager": request.user.role in MANAGER_ROLES,
        "add_form": RequirementForm(staff=staff),
        **_forms(view, staff),
    }
    context.update(forms or {})
    return render(request, "acceptance/contract.html", context, status=status)


@require_GET
def contract_page(request: HttpRequest, contract_id: int) -> HttpResponse:
    return _page(request, contract_id)


def _submit(
    request: HttpRequest,
    *,
    contract_id: int,
    form,
    form_name: str,
    call: Callable[[], object],
    done: str,
    extra: dict | None = None,
) -> HttpResponse:
    """Validate, call the service, and either redirect with a message or show the form's error
    on the contract page (422). A fault of ours (reported by the service) is a clear message on
    the form."""
    if _saved(form=form, call=call):
        messages.success(request, done)
        return redirect("acceptance:contract", contract_id=contract_id)
    return _page(request, contract_id, forms={form_name: form, **(extra or {})}, status=422)


def _saved(*, form, call: Callable[[], object]) -> bool:
    """Validate and call the service; False with the refusal (or our fault) on the form."""
    if not form.is_valid():
        return False
    with refusals_on(form) as outcome:
        call()
    return outcome.ok


@require_POST
def requirement_add_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = contract_for_acceptance(contract_id=contract_id)
    form = RequirementForm(request.POST, staff=staff_assignees())
    return _submit(
        request,
        contract_id=contract.pk,
        form=form,
        form_name="add_form",
        call=lambda: requirement_add(
            contract=contract,
            actor=request.user,
            title=form.cleaned_data["title"],
            criteria=form.cleaned_data["criteria"],
            rating=form.cleaned_data["rating"],
            owner=form.chosen_staff(),
            notes=form.cleaned_data["notes"],
        ),
        done=gettext("Requirement added."),
    )


@require_POST
def requirements_template_view(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = contract_for_acceptance(contract_id=contract_id)
    with refusals_on(request=request) as outcome:
        created = requirements_start_from_template(contract=contract, actor=request.user)
    if outcome.ok:
        messages.success(
            request,
            ngettext(
                "%(n)d standard requirement added; rate it.",
                "%(n)d standard requirements added; rate each one.",
                len(created),
            )
            % {"n": len(created)},
        )
    return redirect("acceptance:contract", contract_id=contract.pk)


def _rated_fragment(request: HttpRequest, requirement, *, form) -> HttpResponse:
    """The requirement's row after a rating posted with htmx, plus (out of band) the status,
    the summary, the review and the manager's actions, read again after the change."""
    contract = contract_for_acceptance(contract_id=requirement.contract_id)
    view = acceptance_view(contract=contract)
    row = next((r for r in view.requirements if r.pk == requirement.pk), None)
    if row is None:  # removed meanwhile: the whole page says what is left
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("acceptance:contract", args=[contract.pk])
        return response
    context = {
        "v": view,
        "r": row,
        "is_manager": request.user.role in MANAGER_ROLES,
        **_forms(view, staff_assignees()),
    }
    if form.errors:
        context.update(rate_form=form, error_for=row.pk)
    else:
        context["just_rated"] = True
    return render(request, "acceptance/_rated.html", context, status=422 if form.errors else 200)


@require_POST
def requirement_rate_view(request: HttpRequest, requirement_id: int) -> HttpResponse:
    requirement = requirement_get(requirement_id=requirement_id)
    form = RateForm(request.POST)

    def rate():
        return requirement_rate(
            requirement=requirement,
            actor=request.user,
            rating=form.cleaned_data["rating"],
            note=form.cleaned_data["note"],
        )

    if request.htmx:
        _saved(form=form, call=rate)
        return _rated_fragment(request, requirement, form=form)
    return _submit(
        request,
        contract_id=requirement.contract_id,
        form=form,
        form_name="rate_form",
        call=rate,
        done=f"{requirement.title}: rating saved.",
        extra={"error_for": requirement.pk},
    )


@require_POST
def requirement_edit_view(request: HttpRequest, requirement_id: int) -> HttpResponse:
    requirement = requirement_get(requirement_id=requirement_id)
    form = RequirementEditForm(request.POST, staff=staff_assignees(), prefix=f"r{requirement.pk}")
    response = _submit(
        request,
        contract_id=requirement.contract_id,
        form=form,
        form_name="edit_form",
        call=lambda: requirement_update(
            requirement=requirement,
            actor=request.user,
            title=form.cleaned_data["title"],
            criteria=form.cleaned_data["criteria"],
            owner=form.chosen_staff(),
            notes=form.cleaned_data["notes"],
        ),
        done=f"{requirement.title}: saved.",
        extra={"error_for": requirement.pk},
    )
    return response


@require_POST
def requirement_remove_view(request: HttpRequest, requirement_id: int) -> HttpResponse:
    requirement = requirement_get(requirement_id=requirement_id)
    with refusals_on(request=request) as outcome:
        requirement_remove(requirement=requirement, actor=request.user)
    if outcome.ok:
        messages.success(request, gettext("%(title)s: removed.") % {"title": requirement.title})
    return redirect("acceptance:contract", contract_id=requirement.contract_id)


@require_POST
def review_acknowledge_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_get(review_id=review_id)
    with refusals_on(request=request) as outcome:
        review_acknowledge(review=review, actor=request.user)
    if outcome.ok:
        messages.success(
            request,
            gettext("Acceptance acknowledged.")
            if review.is_green
            else gettext("Acknowledged; choose the next step."),
        )
    return redirect("acceptance:contract", contract_id=review.contract_id)


@require_POST
@role_required(*MANAGER_ROLES)
def review_conditions_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_get(review_id=review_id)
    form = ConditionsForm(request.POST)
    return _submit(
        request,
        contract_id=review.contract_id,
        form=form,
        form_name="conditions_form",
        call=lambda: review_accept_with_conditions(
            review=review, actor=request.user, conditions=form.cleaned_data["conditions"]
        ),
        done=gettext("Accepted with conditions."),
    )


@require_POST
@role_required(*MANAGER_ROLES)
def review_remediation_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_get(review_id=review_id)
    form = RemediationForm(request.POST, staff=staff_assignees())
    return _submit(
        request,
        contract_id=review.contract_id,
        form=form,
        form_name="remediation_form",
        call=lambda: review_request_remediation(
            review=review,
            actor=request.user,
            owner=form.chosen_staff(),
            due=form.cleaned_data["due"],
            note=form.cleaned_data["note"],
        ),
        done=gettext("Remediation requested; the owner has been told."),
    )


@require_POST
@role_required(*MANAGER_ROLES)
def review_escalate_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_get(review_id=review_id)
    form = EscalateForm(request.POST)
    return _submit(
        request,
        contract_id=review.contract_id,
        form=form,
        form_name="escalate_form",
        call=lambda: review_escalate(
            review=review, actor=request.user, note=form.cleaned_data["note"]
        ),
        done=gettext("Escalated; the admins have been alerted."),
    )


@require_POST
@role_required(*MANAGER_ROLES)
def review_cancel_view(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_get(review_id=review_id)
    form = CancelContractForm(request.POST)
    return _submit(
        request,
        contract_id=review.contract_id,
        form=form,
        form_name="cancel_form",
        call=lambda: review_cancel_contract(
            review=review, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        done=gettext("The contract is cancelled; billing stops at the end of the paid period."),
    )
