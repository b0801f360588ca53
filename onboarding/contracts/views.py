"""Contract pages: the customer's (/account/contracts/) and the staff's (/staff/contracts/).

Views parse, call a selector or a service, and shape the answer. A service reports its own
unexpected failure (an admin alert, the message it declares); refusals_on shows it, or a refusal,
on the form or as a message. Staff pages sit behind StaffAccessMiddleware (a staff role and
TOTP).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.contracts import acknowledgement, delivery, documents, lifecycle
from onboarding.contracts.certificates import (
    CERTIFICATE_BEING_PREPARED,
    contract_certificate_stored,
)
from onboarding.contracts.documents import contract_document_open
from onboarding.contracts.forms import AcknowledgeForm, AmendForm, CancelForm, StaffFilterForm
from onboarding.contracts.models import (
    ACKNOWLEDGEABLE_STATES,
    Contract,
    ContractDocument,
    ContractState,
)
from onboarding.contracts.selectors import (
    contract_acceptance_get,
    contract_acceptance_of,
    contract_cancellation_terms,
    contract_document_get,
    contract_get,
    contract_staff_list,
    contract_state_counts,
    contracts_of,
)
from onboarding.core.forms import refusals_on
from onboarding.core.middleware import client_ip_of
from onboarding.core.pagination import page_number
from onboarding.core.post_only import post_only
from onboarding.core.roles import Role

PAGE_SIZE = 25


def _customer_only(request: HttpRequest) -> None:
    # Staff read contracts on the staff pages; the customer pages are the customer's own.
    if request.user.role != Role.CUSTOMER:
        raise Http404(gettext("This page is for customers."))


# --- PDF answers, shared by customer and staff pages -------------------------------------------


def pdf_response(content: bytes, filename: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def document_response(request: HttpRequest, document: ContractDocument) -> HttpResponse:
    """The stored PDF, checked against its SHA-256 (a changed file is refused, and alerted)."""
    contract = document.contract
    with refusals_on(request=request) as outcome:
        content = contract_document_open(contract=contract, document=document, actor=request.user)
    if not outcome.ok:
        return redirect(_detail_url(request, contract))
    return pdf_response(content, document.filename, download=request.GET.get("download") == "1")


def certificate_response(request: HttpRequest, contract: Contract, acceptance_id) -> HttpResponse:
    """The certificate the worker stored, or a "being prepared" page (202) that asks again by
    itself (htmx) until it is there; never rendered here (certificates.py). A refusal or a
    failure is told on the contract's page; the poll is sent there (HX-Redirect)."""
    back_url = _detail_url(request, contract)
    with refusals_on(request=request) as outcome:
        acceptance = contract_acceptance_get(
            user=request.user, contract=contract, acceptance_id=acceptance_id
        )
        content = contract_certificate_stored(
            contract=contract, acceptance=acceptance, actor=request.user
        )
    if not outcome.ok:
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": back_url})
        return redirect(back_url)
    filename = f"{contract.number}-v{acceptance.document.version}-certificate.pdf"
    if content is not None and not request.htmx:
        return pdf_response(content, filename, download=request.GET.get("download") == "1")
    template = (
        "contracts/_certificate_status.html"
        if request.htmx
        else "contracts/certificate_pending.html"
    )
    context = {
        "ready": content is not None,
        "document_name": gettext("Certificate of acceptance {reference} (PDF)").format(
            reference=acceptance.reference
        ),
        "message": CERTIFICATE_BEING_PREPARED,
        "back_url": back_url,
        "back_label": gettext("Back to contract {number}").format(number=contract.number),
    }
    response = render(request, template, context, status=200 if content is not None else 202)
    response["Cache-Control"] = "private, no-store"
    return response


def _detail_url(request: HttpRequest, contract: Contract) -> str:
    if request.user.role == Role.CUSTOMER:
        return reverse("contracts:detail", args=[contract.pk])
    return contract.get_absolute_url()


# --- customer pages -------------------------------------------------------------------------


def _customer_page(contract_id: int, anchor: str = "") -> str:
    return reverse("contracts:detail", args=[contract_id]) + anchor


@require_GET
@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    _customer_only(request)
    contracts = list(contracts_of(user=request.user))
    rows = [
        (contract, contract_acceptance_of(contract=contract, document=contract.current_document))
        for contract in contracts
    ]
    return render(request, "contracts/list.html", {"rows": rows})


def _customer_detail(
    request: HttpRequest, contract: Contract, form: AcknowledgeForm | None = None, status=200
) -> HttpResponse:
    document = contract.current_document
    acceptance = contract_acceptance_of(contract=contract, document=document)
    if form is None and document is not None and acceptance is None:
        form = AcknowledgeForm(initial={"document_sha256": document.sha256})
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "document": document,
            "acceptance": acceptance,
            "form": form,
            "can_acknowledge": document is not None
            and acceptance is None
            and contract.state in ACKNOWLEDGEABLE_STATES,
            "can_cancel": contract.can_move_to(ContractState.CANCELLED),
            "documents": list(contract.documents.all()),
            "acceptances": list(contract.acceptances.all()),
        },
        status=status,
    )


@require_GET
@login_required
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    _customer_only(request)
    return _customer_detail(request, contract_get(user=request.user, contract_id=contract_id))


@post_only(lambda contract_id: _customer_page(contract_id, "#acknowledge"))
@login_required
def contract_acknowledge(request: HttpRequest, contract_id: int) -> HttpResponse:
    _customer_only(request)
    contract = contract_get(user=request.user, contract_id=contract_id)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        with refusals_on(form) as outcome:
            acknowledgement.contract_acknowledge(
                contract=contract,
                actor=request.user,
                typed_name=form.cleaned_data["name"],
                document_sha256=form.cleaned_data["document_sha256"],
                client_ip=client_ip_of(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        if outcome.ok:
            messages.success(
                request,
                gettext("Thank you: contract {number} is acknowledged.").format(
                    number=contract.number
                ),
            )
            return redirect("contracts:detail", contract_id=contract.pk)
    contract = contract_get(user=request.user, contract_id=contract_id)
    return _customer_detail(request, contract, form=form, status=422)


@require_GET
@login_required
def contract_pdf(request: HttpRequest, contract_id: int, version: int) -> HttpResponse:
    _customer_only(request)
    contract = contract_get(user=request.user, contract_id=contract_id)
    return document_response(
        request, contract_document_get(user=request.user, contract=contract, version=version)
    )


@require_GET
@login_required
def contract_pdf_current(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The current document; while it is being prepared, the contract page says so."""
    _customer_only(request)
    contract = contract_get(user=request.user, contract_id=contract_id)
    document = contract.current_document
    if document is None:
        messages.info(
            request, gettext("Your contract is still being prepared. Please check back soon.")
        )
        return redirect("contracts:detail", contract_id=contract.pk)
    return document_response(request, document)


@require_GET
@login_required
def contract_certificate(request: HttpRequest, contract_id: int, acceptance_id: int):
    _customer_only(request)
    contract = contract_get(user=request.user, contract_id=contract_id)
    return certificate_response(request, contract, acceptance_id)


def _act(request: HttpRequest, contract: Contract, action, success: str, **kwargs):
    with refusals_on(request=request) as outcome:
        action(contract=contract, actor=request.user, **kwargs)
    if outcome.ok:
        messages.success(request, success)
    return redirect(_detail_url(request, contract))


@post_only(lambda contract_id: _customer_page(contract_id))
@login_required
def contract_email(request: HttpRequest, contract_id: int) -> HttpResponse:
    _customer_only(request)
    contract = contract_get(user=request.user, contract_id=contract_id)
    return _act(
        request,
        contract,
        delivery.contract_email_send,
        gettext("The contract is on its way by email."),
    )


def _manage_page(
    request: HttpRequest, contract: Contract, form: CancelForm | None = None, status=200
) -> HttpResponse:
    return render(
        request,
        "contracts/manage.html",
        {
            "contract": contract,
            "can_cancel": contract.can_move_to(ContractState.CANCELLED),
            "terms": contract_cancellation_terms(contract=contract),
            "form": form or CancelForm(prefix="cancel"),
        },
        status=status,
    )


@require_GET
@login_required
def contract_manage(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The step before cancelling: what cancelling does, and the confirmation it needs."""
    _customer_only(request)
    return _manage_page(request, contract_get(user=request.user, contract_id=contract_id))


@post_only(lambda contract_id: reverse("contracts:manage", args=[contract_id]))
@login_required
def contract_cancel(request: HttpRequest, contract_id: int) -> HttpResponse:
    _customer_only(request)
    contract = contract_get(user=request.user, contract_id=contract_id)
    form = CancelForm(request.POST, prefix="cancel")
    if not form.is_valid():
        # Refused before the service is called: nothing changes without the confirmation.
        return _manage_page(request, contract, form=form, status=422)
    ends = timezone.localtime(contract_cancellation_terms(contract=contract).service_ends_at)
    return _act(
        request,
        contract,
        lifecycle.contract_cancel,
        gettext(
            "Your contract is cancelled. Support continues until {date}, "
            "the end of the period already paid; you are not charged again."
        ).format(date=date_format(ends, "DATE_FORMAT")),
        reason=form.cleaned_data["reason"],
    )


# --- staff pages ----------------------------------------------------------------------------


@require_GET
def staff_contract_list(request: HttpRequest) -> HttpResponse:
    form = StaffFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    contracts = contract_staff_list(
        user=request.user,
        state=filters.get("state") or "",
        expires_within_days=filters.get("expires_within"),
        search=filters.get("q") or "",
    )
    page = Paginator(contracts, PAGE_SIZE).get_page(page_number(request))
    counts = contract_state_counts(user=request.user)
    return render(
        request,
        "contracts/staff/list.html",
        {
            "page": page,
            "form": form,
            "state_counts": [(v, label, counts[v]) for v, label in ContractState.choices],
        },
    )


@require_GET
def staff_contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = contract_get(user=request.user, contract_id=contract_id)
    document = contract.current_document
    return render(
        request,
        "contracts/staff/detail.html",
        {
            "contract": contract,
            "document": document,
            "acceptance": contract_acceptance_of(contract=contract, document=document),
            "documents": list(contract.documents.all()),
            "acceptances": list(contract.acceptances.all()),
            "reminders": list(contract.reminders.all()),
            "amend_form": AmendForm(prefix="amend"),
            "cancel_form": CancelForm(prefix="cancel"),
            "moves": {state: contract.can_move_to(state) for state in ContractState.values},
        },
    )


@require_GET
def staff_contract_pdf(request: HttpRequest, contract_id: int, version: int) -> HttpResponse:
    contract = contract_get(user=request.user, contract_id=contract_id)
    return document_response(
        request, contract_document_get(user=request.user, contract=contract, version=version)
    )


@require_GET
def staff_contract_certificate(request: HttpRequest, contract_id: int, acceptance_id: int):
    contract = contract_get(user=request.user, contract_id=contract_id)
    return certificate_response(request, contract, acceptance_id)


@require_POST
def staff_contract_action(request: HttpRequest, contract_id: int, action: str) -> HttpResponse:
    contract = contract_get(user=request.user, contract_id=contract_id)
    if action == "retry":
        return _act(
            request, contract, documents.contract_generation_retry, gettext("Generation queued.")
        )
    if action == "email":
        return _act(
            request, contract, delivery.contract_email_send, gettext("The PDF is being emailed.")
        )
    if action == "renew":
        return _act(
            request,
            contract,
            lifecycle.contract_renew,
            gettext("The next term's contract is issued."),
        )
    if action == "amend":
        form = AmendForm(request.POST, prefix="amend")
        if not form.is_valid():
            messages.error(request, gettext("Say what changed."))
            return redirect(contract.get_absolute_url())
        return _act(
            request,
            contract,
            lifecycle.contract_amend,
            gettext("A new version is being generated; the customer will acknowledge it again."),
            reason=form.cleaned_data["reason"],
        )
    if action == "cancel":
        form = CancelForm(request.POST, prefix="cancel")
        if not form.is_valid():
            messages.error(request, gettext("Tick the box to confirm the cancellation."))
            return redirect(contract.get_absolute_url())
        return _act(
            request,
            contract,
            lifecycle.contract_cancel,
            gettext("Cancelled; billing stops at the end of the paid period."),
            reason=form.cleaned_data["reason"],
        )
    raise Http404(gettext("No such action."))
