from datetime import datetime

from ninja import Schema
from pydantic import Field

from onboarding.contracts.models import Contract, ContractAcceptance, ContractDocument
from onboarding.contracts.selectors import EXPIRY_WINDOWS, contract_acceptance_of
from onboarding.core.schemas import MoneyOut, deprecated


class AcknowledgeIn(Schema):
    name: str = Field(..., min_length=1, max_length=200, description="Your name, as typed")
    document_sha256: str = Field(
        ..., min_length=64, max_length=64, description="SHA-256 of the document you read"
    )


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class DocumentOut(Schema):
    version: int
    sha256: str
    size_bytes: int
    created_at: datetime

    @staticmethod
    def of(document: ContractDocument) -> "DocumentOut":
        return DocumentOut(
            version=document.version,
            sha256=document.sha256,
            size_bytes=document.size_bytes,
            created_at=document.created_at,
        )


class ContractAcceptanceOut(Schema):
    id: int
    reference: str
    document_version: int
    document_sha256: str
    typed_name: str
    accepted_at: datetime

    @staticmethod
    def of(acceptance: ContractAcceptance) -> "ContractAcceptanceOut":
        return ContractAcceptanceOut(
            id=acceptance.pk,
            reference=acceptance.reference,
            document_version=acceptance.document.version,
            document_sha256=acceptance.document_sha256,
            typed_name=acceptance.typed_name,
            accepted_at=acceptance.accepted_at,
        )


class ContractOut(Schema):
    id: int
    number: str | None = Field(None, description="None until the contract is issued")
    state: str
    state_label: str
    product: str
    plan: str
    term_index: int
    term_start: datetime
    term_end: datetime
    term_months: int
    days_to_expiry: int = Field(
        ...,
        description="Days left: calendar days from today to the term's end date, in the "
        "business time zone (0 on the last day, negative after)",
    )
    age_days: int | None
    cycle: str
    amount_minor: int = Field(..., json_schema_extra=deprecated("amount.amount_minor"))
    tax_minor: int = Field(..., json_schema_extra=deprecated("tax.amount_minor"))
    currency: str
    amount: MoneyOut = Field(..., description="Net, per cycle")
    tax: MoneyOut
    document_pending: bool = Field(..., description="True until the current PDF exists")
    document: DocumentOut | None
    acknowledged: bool
    acknowledgement: ContractAcceptanceOut | None
    delivery_note: str
    service_ends_at: datetime | None

    @classmethod
    def fields_of(cls, contract: Contract) -> dict:
        document = contract.current_document
        acceptance = contract_acceptance_of(contract=contract, document=document)
        return {
            "id": contract.pk,
            "number": contract.number or None,
            "state": contract.state,
            "state_label": contract.get_state_display(),
            "product": contract.product_name,
            "plan": contract.plan_name,
            "term_index": contract.term_index,
            "term_start": contract.term_start,
            "term_end": contract.term_end,
            "term_months": contract.term_months,
            "days_to_expiry": contract.days_left(),
            "age_days": contract.age_days,
            "cycle": contract.cycle,
            "amount_minor": contract.amount_minor,
            "tax_minor": contract.tax.amount_minor,
            "currency": contract.currency,
            "amount": contract.price,
            "tax": contract.tax,
            "document_pending": document is None,
            "document": DocumentOut.of(document) if document else None,
            "acknowledged": acceptance is not None,
            "acknowledgement": ContractAcceptanceOut.of(acceptance) if acceptance else None,
            "delivery_note": contract.delivery_note,
            "service_ends_at": contract.service_ends_at,
        }

    @classmethod
    def of(cls, contract: Contract) -> "ContractOut":
        return cls(**cls.fields_of(contract))


class StaffContractOut(ContractOut):
    customer_id: int
    customer: str
    subscription_id: int
    last_error: str
    failures: int

    @classmethod
    def of(cls, contract: Contract) -> "StaffContractOut":
        return cls(
            **cls.fields_of(contract),
            customer_id=contract.customer_id,
            customer=contract.customer.display_name,
            subscription_id=contract.subscription_id,
            last_error=contract.last_error,
            failures=contract.failures,
        )


class StaffContractFilters(Schema):
    state: str = Field("", max_length=12)
    expires_within_days: int | None = Field(
        None,
        ge=1,
        le=3660,
        description=f"Term ends within N days (the pages offer {EXPIRY_WINDOWS})",
    )
    search: str = Field("", max_length=100)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class StaffContractPage(Schema):
    count: int
    items: list[StaffContractOut]
