"""API shapes for the back office: search, the full customer view, service requests."""

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from onboarding.accounts.models import Customer
from onboarding.core.money import Money
from onboarding.sysops.models import ServiceRequest, ServiceRequestUpdate
from onboarding.sysops.selectors import (
    CustomerHit,
    CustomerOverview,
    CustomerSearchPage,
    invoice_is_overdue,
)

MATCHES = {0: "exact", 1: "prefix", 2: "contains"}
# PostgreSQL text cannot hold NUL: such input is refused as invalid, never passed on.
NO_NUL = r"^[^\x00]*$"


class MoneyOut(Schema):
    amount_minor: int
    currency: str
    display: str

    @staticmethod
    def of(money: Money) -> "MoneyOut":
        return MoneyOut(
            amount_minor=money.amount_minor, currency=money.currency, display=str(money)
        )


# --- Search ------------------------------------------------------------------------------------


class CustomerSummaryOut(Schema):
    id: int
    reference: str
    name: str
    email: str
    company: str
    phone: str
    city: str
    country: str

    @staticmethod
    def of(customer: Customer) -> "CustomerSummaryOut":
        user = customer.user
        return CustomerSummaryOut(
            id=customer.pk,
            reference=customer.reference,
            name=user.get_full_name(),
            email=user.email,
            company=customer.company,
            phone=str(customer.phone or ""),
            city=customer.city,
            country=str(customer.country or ""),
        )


class CustomerHitOut(CustomerSummaryOut):
    match: str

    @staticmethod
    def of_hit(hit: CustomerHit) -> "CustomerHitOut":
        summary = CustomerSummaryOut.of(hit.customer)
        return CustomerHitOut(**summary.dict(), match=MATCHES.get(hit.rank, "contains"))


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
    def of(page: CustomerSearchPage) -> "CustomerSearchOut":
        return CustomerSearchOut(
            query=page.query,
            page=page.page,
            pages=page.pages,
            size=page.size,
            total=page.total,
            capped=page.capped,
            too_short=page.too_short,
            results=[CustomerHitOut.of_hit(hit) for hit in page.hits],
        )


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
    section: str


class AddressOut(Schema):
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    country: str
    lines: list[str]


class CustomerOut(CustomerSummaryOut):
    preferred_inbox: str
    created_at: datetime
    address: AddressOut


class OverviewContactOut(Schema):
    name: str
    role: str
    email: str
    phone: str


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
    id: int
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


class RequestSummaryOut(Schema):
    id: int
    reference: str
    kind: str
    severity: str
    status: str
    summary: str
    product: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def of(request: ServiceRequest) -> "RequestSummaryOut":
        return RequestSummaryOut(
            id=request.pk,
            reference=request.reference,
            kind=request.kind,
            severity=request.severity,
            status=request.status,
            summary=request.summary,
            product=request.subscription.plan.product.name,
            assignee=request.assignee.email if request.assignee else None,
            created_at=request.created_at,
            updated_at=request.updated_at,
            resolved_at=request.resolved_at,
            closed_at=request.closed_at,
        )


class InvoiceOut(Schema):
    id: int
    number: str
    status: str
    payment_state: str
    issue_date: date | None
    due_date: date | None
    total: MoneyOut
    paid_at: datetime | None
    overdue: bool


class OverviewPaymentOut(Schema):
    id: int
    created_at: datetime
    amount: MoneyOut
    status: str
    code: str
    message: str
    invoice_reference: str
    card_last4: str


class DeliveryOut(Schema):
    channel: str
    status: str
    attempts: int
    sent_at: datetime | None


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    channels: list[str]
    created_at: datetime
    deliveries: list[DeliveryOut]


class AuditOut(Schema):
    id: int
    occurred_at: datetime
    action: str
    outcome: str
    actor_email: str
    object_type: str
    object_id: str
    message: str


class JourneyOut(Schema):
    step: str
    label: str
    state: str
    failure_reason: str
    updated_at: datetime
    completed_at: datetime | None


class OverviewAlertOut(Schema):
    id: int
    reason: str
    severity: str
    state: str
    message: str
    count: int
    last_seen_at: datetime


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
    payments: list[OverviewPaymentOut]
    notifications: list[NotificationOut]
    audit: list[AuditOut]
    journey: list[JourneyOut]
    alerts: list[OverviewAlertOut]
    limit: int = Field(description="Each list holds at most this many newest rows")

    @staticmethod
    def of(o: CustomerOverview) -> "CustomerOverviewOut":
        c, user = o.customer, o.customer.user
        return CustomerOverviewOut(
            today=o.today,
            customer=CustomerOut(
                **CustomerSummaryOut.of(c).dict(),
                preferred_inbox=user.preferred_inbox,
                created_at=c.created_at,
                address=AddressOut(
                    line1=c.address_line1,
                    line2=c.address_line2,
                    city=c.city,
                    postal_code=c.postal_code,
                    region=c.region,
                    country=str(c.country or ""),
                    lines=c.billing_address_lines,
                ),
            ),
            risks=[
                RiskOut(code=r.code, level=r.level, message=r.message, section=r.anchor)
                for r in o.risks
            ],
            contacts=[
                OverviewContactOut(
                    name=x.name, role=x.role, email=x.email, phone=str(x.phone or "")
                )
                for x in o.contacts
            ],
            card=OverviewCardOut(**vars(o.card)) if o.card else None,
            schedule=[
                ScheduleOut(
                    subscription_id=s.subscription_id,
                    product=s.product,
                    plan=s.plan,
                    status=s.status,
                    cycle=s.cycle,
                    next_cycle=s.next_cycle,
                    next_charge_at=s.next_charge_at,
                    net=MoneyOut.of(s.net),
                    tax=MoneyOut.of(s.tax),
                    gross=MoneyOut.of(s.gross),
                    cancel_at_period_end=s.cancel_at_period_end,
                )
                for s in o.schedule
            ],
            products=[ProductOut(**vars(p)) for p in o.products],
            contracts=[
                OverviewContractOut(
                    id=k.contract_id,
                    number=k.number,
                    status=k.status,
                    product=k.product,
                    plan=k.plan,
                    starts_on=k.starts_on,
                    ends_on=k.ends_on,
                    issued_on=k.issued_on,
                    age_days=k.age_days,
                    days_left=k.days_left,
                    expired=k.expired,
                    expiring_soon=k.expiring_soon,
                )
                for k in o.contracts
            ],
            requests=[RequestSummaryOut.of(r) for r in o.requests],
            invoices=[
                InvoiceOut(
                    id=i.pk,
                    number=str(i),
                    status=i.status,
                    payment_state=i.payment_state,
                    issue_date=i.issue_date,
                    due_date=i.due_date,
                    total=MoneyOut.of(i.total),
                    paid_at=i.paid_at,
                    overdue=invoice_is_overdue(invoice=i, today=o.today),
                )
                for i in o.invoices
            ],
            payments=[
                OverviewPaymentOut(
                    id=p.pk,
                    created_at=p.created_at,
                    amount=MoneyOut.of(p.amount),
                    status=p.status,
                    code=p.code,
                    message=p.message,
                    invoice_reference=p.invoice_reference,
                    card_last4=p.payment_method.last4 if p.payment_method else "",
                )
                for p in o.payments
            ],
            notifications=[
                NotificationOut(
                    id=n.pk,
                    kind=n.kind,
                    subject=n.subject,
                    channels=list(n.channels or []),
                    created_at=n.created_at,
                    deliveries=[
                        DeliveryOut(
                            channel=d.channel,
                            status=d.status,
                            attempts=d.attempts,
                            sent_at=d.sent_at,
                        )
                        for d in n.deliveries.all()
                    ],
                )
                for n in o.notifications
            ],
            audit=[
                AuditOut(
                    id=e.pk,
                    occurred_at=e.occurred_at,
                    action=e.action,
                    outcome=e.outcome,
                    actor_email=e.actor_email,
                    object_type=e.object_type,
                    object_id=e.object_id,
                    message=e.message,
                )
                for e in o.audit
            ],
            journey=[
                JourneyOut(
                    step=j.step,
                    label=j.get_step_display(),
                    state=j.state,
                    failure_reason=j.failure_reason,
                    updated_at=j.updated_at,
                    completed_at=j.completed_at,
                )
                for j in o.journey
            ],
            alerts=[
                OverviewAlertOut(
                    id=a.pk,
                    reason=a.reason,
                    severity=a.severity,
                    state=a.state,
                    message=a.message,
                    count=a.count,
                    last_seen_at=a.last_seen_at,
                )
                for a in o.alerts
            ],
            limit=o.limit,
        )


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
    id: int
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
    def of(update: ServiceRequestUpdate, *, for_staff: bool) -> "UpdateOut":
        author = update.author
        # Customers see "SysOps" rather than a member of staff's address.
        if author is None:
            name = None
        elif for_staff or not author.is_staff_role:
            name = author.email
        else:
            name = "SysOps"
        assignee = update.assignee
        return UpdateOut(
            id=update.pk,
            kind=update.kind,
            author=name,
            by_staff=update.by_staff,
            body=update.body,
            internal=update.internal,
            from_status=update.from_status,
            to_status=update.to_status,
            assignee=(assignee.email if for_staff else "an engineer") if assignee else None,
            created_at=update.created_at,
        )


class RequestOut(RequestSummaryOut):
    description: str
    customer_id: int
    allowed_moves: list[str]
    updates: list[UpdateOut]

    @staticmethod
    def of_detail(
        request: ServiceRequest, updates: list[ServiceRequestUpdate], *, for_staff: bool
    ) -> "RequestOut":
        summary = RequestSummaryOut.of(request).dict()
        if not for_staff and request.assignee is not None:
            summary["assignee"] = "an engineer"
        return RequestOut(
            **summary,
            description=request.description,
            customer_id=request.customer_id,
            allowed_moves=request.allowed_moves if for_staff else [],
            updates=[UpdateOut.of(u, for_staff=for_staff) for u in updates],
        )


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
