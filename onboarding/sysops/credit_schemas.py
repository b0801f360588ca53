"""Shapes of the staff service credit API (credit_api.py): read from the proposal's attributes."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from onboarding.core.schemas import MoneyOut
from onboarding.sysops.credit_models import ServiceCredit

CreditState = Literal["pending", "proposed", "approved", "declined", "failed"]


class ServiceCreditFilters(Schema):
    state: CreditState | None = Field(
        None,
        description='One status, or "pending": awaiting a decision (proposed, failed, or '
        "approved with its credit note cancelled)",
    )


class ServiceCreditNoteOut(Schema):
    """The credit note an approval made: billing's, read as it stands now."""

    id: int = Field(..., validation_alias="pk")
    number: str | None
    status: str = Field(..., description='"draft" (being confirmed), "issued" or "cancelled"')
    total: MoneyOut
    failure_message: str = Field(..., description="Why billing cancelled it; empty otherwise")


class ServiceCreditOut(Schema):
    id: int = Field(..., validation_alias="pk")
    reference: str
    status: str = Field(..., description='"proposed", "approved", "declined" or "failed"')
    state_display: str = Field(
        ..., description="The status as it stands, the credit note's state included"
    )
    refund_state: str = Field(
        ..., description='"issued", "confirming", "cancelled" (nothing paid out), or empty'
    )
    awaiting_decision: bool = Field(
        ..., validation_alias="is_pending", description="A manager may approve or decline it"
    )
    customer_id: int
    customer_name: str
    request_id: int
    request_reference: str
    clock_kind: str = Field(..., description='The deadline missed: "first_response", "resolution"')
    percent: int
    base: MoneyOut = Field(..., description="One billing period's net price")
    amount: MoneyOut = Field(..., description="Gross: what the credit note gives back")
    invoice_id: int | None
    invoice_number: str | None = Field(..., description="Null: no paid invoice yet")
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decline_reason: str
    failure_reason: str
    credit_note: ServiceCreditNoteOut | None

    @staticmethod
    def resolve_customer_name(credit: ServiceCredit) -> str:
        return credit.customer.display_name

    @staticmethod
    def resolve_request_reference(credit: ServiceCredit) -> str:
        return credit.request.reference

    @staticmethod
    def resolve_clock_kind(credit: ServiceCredit) -> str:
        return credit.clock.kind

    @staticmethod
    def resolve_invoice_number(credit: ServiceCredit) -> str | None:
        return credit.invoice.number if credit.invoice_id else None

    @staticmethod
    def resolve_decided_by(credit: ServiceCredit) -> str | None:
        return credit.decided_by.email if credit.decided_by_id else None


class ServiceCreditDeclineIn(Schema):
    reason: str = Field(
        ..., max_length=5000, description="Why, in 3 to 500 characters (kept in the audit log)"
    )

    @field_validator("reason")
    @classmethod
    def said_why(cls, value: str) -> str:
        # As the service counts it (spaces collapsed); a field error here rather than its 400.
        # NUL is refused too: PostgreSQL would refuse it in text.
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if not 3 <= len(" ".join(value.split())) <= 500:
            raise ValueError("Say why, in 3 to 500 characters.")
        return value
