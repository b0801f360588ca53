"""/api/v1/me/contracts (the customer's own) and /api/v1/staff/contracts (every contract).

The same selectors and services as the pages. Another customer's contract is a 404; a document
still being prepared is a 409 with "pending"; a refused acknowledgement is a 409. A service's
unexpected failure is a 503 in the words the service declares (serving a stored PDF included:
documents.py). The certificate of acceptance is the worker's: 202 with Retry-After until it is
stored, a 503 if the worker could not make it (certificates.py).
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from ninja import Query, Router, Status

from onboarding.accounts.selectors import customer_of_user
from onboarding.contracts import acknowledgement, delivery, documents, lifecycle
from onboarding.contracts.certificates import (
    CERTIFICATE_BEING_PREPARED,
    contract_certificate_stored,
)
from onboarding.contracts.documents import contract_document_open
from onboarding.contracts.models import Contract, ContractDocument
from onboarding.contracts.schemas import (
    AcknowledgeIn,
    ContractAcceptanceOut,
    ContractOut,
    ReasonIn,
    StaffContractFilters,
    StaffContractOut,
    StaffContractPage,
)
from onboarding.contracts.selectors import (
    contract_acceptance_of,
    contract_document_get,
    contract_get,
    contract_staff_list,
    contracts_of,
)
from onboarding.core.errors import Conflict
from onboarding.core.middleware import client_ip_of

me_router = Router()
staff_router = Router()

_ERRORS = {400: dict, 404: dict, 409: dict, 422: dict, 503: dict}
_PDF = {
    "responses": {
        200: {
            "description": "The PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _document_pdf(request: HttpRequest, document: ContractDocument) -> HttpResponse:
    contract = document.contract
    content = contract_document_open(contract=contract, document=document, actor=request.user)
    return _pdf(content, document.filename)


def _own(request: HttpRequest, contract_id: int) -> Contract:
    customer_of_user(user=request.user)  # customers only: staff use /api/v1/staff/contracts
    return contract_get(user=request.user, contract_id=contract_id)


# --- the customer's own ---------------------------------------------------------------------


@me_router.get("", response={200: list[ContractOut], 404: dict}, summary="Your contracts")
def list_contracts(request: HttpRequest):
    customer_of_user(user=request.user)
    return [ContractOut.of(contract) for contract in contracts_of(user=request.user)]


@me_router.get("/{contract_id}", response={200: ContractOut, 404: dict}, summary="One contract")
def get_contract(request: HttpRequest, contract_id: int):
    return ContractOut.of(_own(request, contract_id))


@me_router.get(
    "/{contract_id}/pdf",
    response={404: dict, 409: dict, 503: dict},
    summary="The current contract document (PDF)",
    openapi_extra=_PDF,
)
def contract_pdf(request: HttpRequest, contract_id: int):
    contract = _own(request, contract_id)
    document = contract.current_document
    if document is None:
        raise Conflict(gettext("Your contract is still being prepared."), code="pending")
    return _document_pdf(request, document)


@me_router.post(
    "/{contract_id}/acknowledge",
    response={201: ContractAcceptanceOut, **_ERRORS},
    summary="Acknowledge the document you read (by its SHA-256)",
)
def acknowledge(request: HttpRequest, contract_id: int, payload: AcknowledgeIn):
    contract = _own(request, contract_id)
    acceptance = acknowledgement.contract_acknowledge(
        contract=contract,
        actor=request.user,
        typed_name=payload.name,
        document_sha256=payload.document_sha256,
        client_ip=client_ip_of(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201, ContractAcceptanceOut.of(acceptance))


@me_router.get(
    "/{contract_id}/certificate",
    response={202: dict, 404: dict, 409: dict, 503: dict},
    summary="The certificate of acceptance of the current document (PDF)",
    description="202 with Retry-After while the worker prepares it: ask again then.",
    openapi_extra=_PDF,
)
def certificate(request: HttpRequest, contract_id: int):
    contract = _own(request, contract_id)
    acceptance = contract_acceptance_of(contract=contract, document=contract.current_document)
    if acceptance is None:
        raise Conflict(gettext("The current version of this contract is not acknowledged yet."))
    content = contract_certificate_stored(
        contract=contract, acceptance=acceptance, actor=request.user
    )
    if content is None:
        return JsonResponse(
            {"detail": CERTIFICATE_BEING_PREPARED, "code": "being_prepared"},
            status=202,
            headers={"Retry-After": "3", "Cache-Control": "private, no-store"},
        )
    return _pdf(content, f"{contract.number}-v{acceptance.document.version}-certificate.pdf")


# --- staff ----------------------------------------------------------------------------------


@staff_router.get("", response=StaffContractPage, summary="Every contract, soonest expiry first")
def staff_list(request: HttpRequest, filters: Query[StaffContractFilters]):
    contracts = contract_staff_list(
        user=request.user,
        state=filters.state,
        expires_within_days=filters.expires_within_days,
        search=filters.search,
    )
    page = contracts[filters.offset : filters.offset + filters.limit]
    return StaffContractPage(
        count=contracts.count(), items=[StaffContractOut.of(contract) for contract in page]
    )


@staff_router.get(
    "/{contract_id}", response={200: StaffContractOut, 404: dict}, summary="One contract"
)
def staff_get(request: HttpRequest, contract_id: int):
    return StaffContractOut.of(contract_get(user=request.user, contract_id=contract_id))


@staff_router.get(
    "/{contract_id}/documents/{version}/pdf",
    response={404: dict, 503: dict},
    summary="One document version (PDF)",
    openapi_extra=_PDF,
)
def staff_pdf(request: HttpRequest, contract_id: int, version: int):
    contract = contract_get(user=request.user, contract_id=contract_id)
    return _document_pdf(
        request, contract_document_get(user=request.user, contract=contract, version=version)
    )


def _staff_act(request: HttpRequest, contract_id: int, action, **kwargs) -> StaffContractOut:
    contract = contract_get(user=request.user, contract_id=contract_id)
    result = action(contract=contract, actor=request.user, **kwargs)
    return StaffContractOut.of(contract_get(user=request.user, contract_id=result.pk))


@staff_router.post(
    "/{contract_id}/renew",
    response={200: StaffContractOut, **_ERRORS},
    summary="Renew: issue the next term's contract (returns it)",
)
def staff_renew(request: HttpRequest, contract_id: int):
    return _staff_act(request, contract_id, lifecycle.contract_renew)


@staff_router.post(
    "/{contract_id}/cancel",
    response={200: StaffContractOut, **_ERRORS},
    summary="Cancel; billing stops at the end of the paid period",
)
def staff_cancel(request: HttpRequest, contract_id: int, payload: ReasonIn):
    return _staff_act(request, contract_id, lifecycle.contract_cancel, reason=payload.reason)


@staff_router.post(
    "/{contract_id}/amend",
    response={200: StaffContractOut, **_ERRORS},
    summary="Issue a new document version (needs a new acknowledgement)",
)
def staff_amend(request: HttpRequest, contract_id: int, payload: ReasonIn):
    return _staff_act(request, contract_id, lifecycle.contract_amend, reason=payload.reason)


@staff_router.post(
    "/{contract_id}/retry",
    response={200: StaffContractOut, **_ERRORS},
    summary="Generate or deliver a pending document again",
)
def staff_retry(request: HttpRequest, contract_id: int):
    return _staff_act(request, contract_id, documents.contract_generation_retry)


@staff_router.post(
    "/{contract_id}/email",
    response={200: StaffContractOut, **_ERRORS},
    summary="Email the current PDF to the customer's verified address",
)
def staff_email(request: HttpRequest, contract_id: int):
    return _staff_act(request, contract_id, delivery.contract_email_send)
