"""API shapes for the back office: search, the full customer view, service requests.

The output schemas read the objects the selectors return (models and the overview's
dataclasses), which the handlers hand to django-ninja as they are: a field is read by its name,
by a path (`validation_alias`), or by a resolver where a rule decides it. What a customer may
see of staff depends on the reader, taken from the request in the validation context.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from onboarding.accounts.models import Customer
from onboarding.billing.models import Invoice, PlanChange
from onboarding.core.schemas import MoneyOut
from onboarding.health.schemas import HealthOut
from onboarding.notifications.models import Notification
from onboarding.payments.models import PaymentAttempt, PaymentDispute
from onboarding.sla.models import SlaClock
from onboarding.sysops.models import ServiceRequest, ServiceRequestUpdate
from onboarding.sysops.requests import service_request_sla_clocks, service_request_updates
from onboarding.sysops.risks import invoice_is_overdue
from onboarding.sysops.search import CustomerHit, CustomerSearchPage

MATCHES = {0: "exact", 1: "prefix", 2: "contains"}
# PostgreSQL text cannot hold NUL: such input is refused as invalid, never passed on.
NO_NUL = r"^[^\x00]*$"


def _text(value: Any) -> str:
    """A phone number or a country as text; blank when there is none."""
    return str(value or "")


def _for_staff(context: dict | None) -> bool:
    """Whether the reader of this answer is staff; without a request, shape it for a customer."""
    request = (context or {}).get("request")
    return request is not None and request.user.is_staff_role


# --- Search ------------------------------------------------------------------------------------


class CustomerSummaryOut(Schema):
    # By name as well: a search hit is shaped from its customer, then validated again as itself.
    model_config = ConfigDict(from_attributes=True, validate_by_name=True)

    id: int = Field(..., validation_alias="pk")
    reference: str
    name: str = Field(..., validation_alias="user.get_full_name")
    email: str = Field(..., validation_alias="user.email")
    company: str
    phone: str
    city: str
    country: str

    _phone_and_country_as_text = field_validator("phone", "country", mode="before")(_text)


class CustomerHitOut(CustomerSummaryOut):
    match: str

    @staticmethod
    def of_hit(hit: CustomerHit) -> "CustomerHitOut":
        summary = CustomerSummaryOut.model_validate(hit.customer)
        return CustomerHitOut(**summary.model_dump(), match=MATCHES.get(hit.rank, "contains"))


class CustomerSearchOut(Schema):
    query: str
    page: int
    pages: int
    size: int
    total: int
    capped: bool = Field(description="True when more customers match than were counted")
    too_short: bool
    results: list[CustomerHitOut]

    @staticmethod
    def resolve_results(page: CustomerSearchPage) -> list[CustomerHitOut]:
        return [CustomerHitOut.of_hit(hit) for hit in page.hits]


class CustomerSearchQuery(Schema):
    q: str = Field("", max_length=100, pattern=NO_NUL)
    page: int = Field(1, ge=1, le=100_000)
    size: int = Field(25, ge=1, le=100)


class EmailLookupQuery(Schema):
    email: str = Field(..., min_length=3, max_length=254, pattern=NO_NUL)


# --- The full customer view --------------------------------------------------------------------


class RiskOut(Schema):
    code: str
    level: Literal["red", "yellow"]
    message: str
    section: str = Field(..., validation_alias="anchor")


class AddressOut(Schema):
    line1: str = Field(..., validation_alias="address_line1")
    line2: str = Field(..., validation_alias="address_line2")
    city: str
    postal_code: str
    region: str
    country: str
    lines: list[str] = Field(..., validation_alias="billing_address_lines")

    _country_as_text = field_validator("country", mode="before")(_text)


class CustomerOut(CustomerSummaryOut):
    preferred_inbox: str = Field(..., validation_alias="user.preferred_inbox")
    created_at: datetime
    address: AddressOut

    @staticmethod
    def resolve_address(customer: Customer) -> Customer:
        return customer  # the address is the customer's own fields


class OverviewContactOut(Schema):
    name: str
    role: str
    email: str
    phone: str

    _phone_as_text = field_validator("phone", mode="before")(_text)


class OverviewCardOut(Schema):
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    expires_on: date
    days_left: int
    expired: bool
    expires_soon: bool


class ScheduleOut(Schema):
    subscription_id: int
    product: str
    plan: str
    status: str
    cycle: str
    next_cycle: str
    next_charge_at: datetime | None
    net: MoneyOut
    tax: MoneyOut
    gross: MoneyOut
    cancel_at_period_end: bool
    tax_label: str = Field("", description='The customer\'s tax on that day: "VAT 19%"')
    terms: str = Field("", description='The quantity in the plan\'s unit: "3 seats"')
    scheduled: str = Field(
        "", description='A plan or quantity change from the next period: "Essential, 3 seats"'
    )


class ProductOut(Schema):
    product_id: int
    name: str
    plan: str
    released_on: date
    age_days: int
    bought_at: datetime
    owned_days: int
    subscription_status: str


class OverviewContractOut(Schema):
    id: int = Field(..., validation_alias="contract_id")
    number: str
    status: str
    product: str
    plan: str
    starts_on: date
    ends_on: date
    issued_on: date | None
    age_days: int | None
    days_left: int
    expired: bool
    expiring_soon: bool


class SlaClockOut(Schema):
    """One SLA clock of a request (docs/sla.md, "In the API"). `warn_at` and `breached_at` are
    staff's working marks: null for a customer, who reads `due_at` and `outcome`."""

    kind: Literal["first_response", "resolution"]
    severity: str = Field(description="The severity whose terms the clock runs on")
    due_at: datetime | None = Field(description="Null: no SLA for this severity")
    warn_at: datetime | None = Field(description="Staff only: when 80% of the time is used")
    paused: bool = Field(..., validation_alias="is_paused")
    stopped_at: datetime | None
    outcome: Literal["pending", "met", "missed", "no_terms"]
    breached_at: datetime | None = Field(description="Staff only: when it ran past due_at")
    service_hours: str | None = Field(description="The service hours' name; null without SLA")
    time_zone: str | None = Field(
        description="The IANA time zone the clock counts in (the customer's where the service "
        "hours follow the customer, kept from its start or re-term); null without SLA"
    )

    @staticmethod
    def resolve_warn_at(clock: SlaClock, context: dict | None = None) -> datetime | None:
        return clock.warn_at if _for_staff(context) else None

    @staticmethod
    def resolve_breached_at(clock: SlaClock, context: dict | None = None) -> datetime | None:
        return clock.breached_at if _for_staff(context) else None

    @staticmethod
    def resolve_service_hours(clock: SlaClock) -> str | None:
        return clock.service_hours.name if clock.service_hours is not None else None

    @staticmethod
    def resolve_time_zone(clock: SlaClock) -> str | None:
        if clock.service_hours is None:
            return None
        return clock.time_zone or clock.service_hours.time_zone


class RequestSummaryOut(Schema):
    id: int = Field(..., validation_alias="pk")
    reference: str
    kind: str
    severity: str
    status: str
    summary: str
    product: str = Field(..., validation_alias="subscription.plan.product.name")
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    clocks: list[SlaClockOut]

    @staticmethod
    def resolve_clocks(request: ServiceRequest) -> list[SlaClock]:
        return service_request_sla_clocks(request=request)

    @staticmethod
    def resolve_assignee(request: ServiceRequest, context: dict | None = None) -> str | None:
        # Staff read who has it; a customer reads that an engineer does, never a staff address.
        if request.assignee is None:
            return None
        return request.assignee.email if _for_staff(context) else "an engineer"


class InvoiceOut(Schema):
    id: int = Field(..., validation_alias="pk")
    number: str
    status: str
    payment_state: str
    issue_date: date | None
    due_date: date | None
    total: MoneyOut
    paid_at: datetime | None
    overdue: bool

    @staticmethod
    def resolve_number(invoice: Invoice) -> str:
        return str(invoice)  # a draft has no number yet: it reads as one all the same

    @staticmethod
    def resolve_overdue(invoice: Invoice) -> bool:
        # The API's overview is always today's, so overdue is counted from the same day.
        return invoice_is_overdue(invoice=invoice, today=timezone.localdate())


class OverviewPlanChangeOut(Schema):
    id: int = Field(..., validation_alias="pk")
    status: str
    effective_at: datetime
    from_plan: str
    from_quantity: int
    to_plan: str
    to_quantity: int
    to_cycle: str = Field("", description="A longer cycle from now, else empty")
    invoice_id: int | None
    invoice_number: str | None
    requested_by: str | None = Field(None, description="Who asked; null for the system")

    @staticmethod
    def resolve_from_plan(change: PlanChange) -> str:
        return change.from_plan.name

    @staticmethod
    def resolve_to_plan(change: PlanChange) -> str:
        return change.to_plan.name

    @staticmethod
    def resolve_invoice_number(change: PlanChange) -> str | None:
        return change.invoice.number if change.invoice_id else None

    @staticmethod
    def resolve_requested_by(change: PlanChange) -> str | None:
        return change.requested_by.email if change.requested_by_id else None


class OverviewPaymentOut(Schema):
    id: int = Field(..., validation_alias="pk")
    created_at: datetime
    amount: MoneyOut
    status: str
    code: str
    message: str
    invoice_reference: str
    card_last4: str

    @staticmethod
    def resolve_card_last4(payment: PaymentAttempt) -> str:
        return payment.payment_method.last4 if payment.payment_method else ""


class OverviewDisputeOut(Schema):
    id: int = Field(..., validation_alias="pk")
    gateway_dispute_id: str
    payment_id: int = Field(..., validation_alias="attempt_id")
    invoice_reference: str
    amount: MoneyOut
    reason: str
    status: str = Field(..., description="The payment provider's own status of the dispute")
    outcome: str = Field(..., description='"open", "won", "lost" or "closed"')
    opened_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_invoice_reference(dispute: PaymentDispute) -> str:
        return dispute.attempt.invoice_reference or dispute.attempt.description


class DeliveryOut(Schema):
    channel: str
    status: str
    attempts: int
    sent_at: datetime | None


class NotificationOut(Schema):
    id: int = Field(..., validation_alias="pk")
    kind: str
    subject: str
    channels: list[str]
    created_at: datetime
    deliveries: list[DeliveryOut]  # prefetched by the overview

    @staticmethod
    def resolve_channels(notification: Notification) -> list[str]:
        return list(notification.channels or [])


class AuditOut(Schema):
    id: int = Field(..., validation_alias="pk")
    occurred_at: datetime
    action: str
    outcome: str
    actor_email: str
    object_type: str
    object_id: str
    message: str


class JourneyOut(Schema):
    step: str
    label: str = Field(..., validation_alias="get_step_display")
    state: str
    failure_reason: str
    updated_at: datetime
    completed_at: datetime | None


class OverviewAlertOut(Schema):
    id: int = Field(..., validation_alias="pk")
    reason: str
    severity: str
    state: str
    message: str
    count: int
    last_seen_at: datetime


# Read from a CustomerOverview (sysops.overview), section by section.
class CustomerOverviewOut(Schema):
    today: date
    customer: CustomerOut
    risks: list[RiskOut]
    contacts: list[OverviewContactOut]
    card: OverviewCardOut | None
    schedule: list[ScheduleOut]
    products: list[ProductOut]
    contracts: list[OverviewContractOut]
    requests: list[RequestSummaryOut]
    invoices: list[InvoiceOut]
    plan_changes: list[OverviewPlanChangeOut]
    payments: list[OverviewPaymentOut]
    disputes: list[OverviewDisputeOut]
    notifications: list[NotificationOut]
    audit: list[AuditOut]
    journey: list[JourneyOut]
    alerts: list[OverviewAlertOut]
    health: HealthOut | None = Field(description="The health score; null until first computed")
    limit: int = Field(description="Each list holds at most this many newest rows")


# --- Service requests --------------------------------------------------------------------------


MAX_ID = 2**63 - 1


class RequestOpenIn(Schema):
    subscription_id: int = Field(..., ge=1, le=MAX_ID)
    kind: Literal["repair", "troubleshoot"]
    severity: Literal["low", "normal", "high", "critical"] = "normal"
    summary: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    description: str = Field(..., min_length=1, max_length=10_000, pattern=NO_NUL)


class StaffRequestOpenIn(RequestOpenIn):
    customer_id: int = Field(..., ge=1, le=MAX_ID)


class CommentIn(Schema):
    body: str = Field(..., min_length=1, max_length=10_000, pattern=NO_NUL)


class StaffCommentIn(CommentIn):
    internal: bool = False


class AssignIn(Schema):
    assignee_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="A staff user's id; null for nobody"
    )


class MoveIn(Schema):
    status: Literal["new", "in_progress", "waiting_on_customer", "resolved", "closed"]
    note: str = Field("", max_length=10_000, pattern=NO_NUL)


class UpdateOut(Schema):
    id: int = Field(..., validation_alias="pk")
    kind: str
    author: str | None
    by_staff: bool
    body: str
    internal: bool
    from_status: str
    to_status: str
    assignee: str | None
    created_at: datetime

    @staticmethod
    def resolve_author(update: ServiceRequestUpdate, context: dict | None = None) -> str | None:
        author = update.author
        if author is None:
            return None
        # Customers see "SysOps" rather than a member of staff's address.
        if _for_staff(context) or not author.is_staff_role:
            return author.email
        return "SysOps"

    @staticmethod
    def resolve_assignee(update: ServiceRequestUpdate, context: dict | None = None) -> str | None:
        if update.assignee is None:
            return None
        return update.assignee.email if _for_staff(context) else "an engineer"


# Read from a ServiceRequest, for the reader in the validation context.
class RequestOut(RequestSummaryOut):
    description: str
    customer_id: int
    allowed_moves: list[str]
    updates: list[UpdateOut]

    @staticmethod
    def resolve_allowed_moves(request: ServiceRequest, context: dict | None = None) -> list[str]:
        return request.allowed_moves if _for_staff(context) else []

    @staticmethod
    def resolve_updates(
        request: ServiceRequest, context: dict | None = None
    ) -> list[ServiceRequestUpdate]:
        """The history as the reader may see it (customers never see internal notes)."""
        return service_request_updates(user=context["request"].user, request=request)


class QueueQuery(Schema):
    status: str = Field("open", max_length=20, pattern=NO_NUL)
    severity: str = Field("", max_length=10, pattern=NO_NUL)
    assignee: str = Field(
        "",
        pattern=r"^(|me|none|[0-9]{1,18})$",  # ASCII digits: int() of "²" fails, of "٣" is 3
        description='"me", "none" or a staff user id',
    )
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000_000)


class QueuePageOut(Schema):
    count: int
    items: list[RequestSummaryOut]
