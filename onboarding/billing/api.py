"""Billing's API: /api/v1/me/subscriptions (buy, list, change the cycle, change the plan or
quantity), /api/v1/me/invoices (list, get, PDF, pay) and /api/v1/staff/invoices (list, get,
PDF, refund, void, dunning decision)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from ninja import Query, Router

from onboarding.accounts.selectors import customer_of_user
from onboarding.billing.cycle_changes import (
    cycle_change_now_preview,
    subscription_change_cycle_now,
)
from onboarding.billing.downloads import BEING_PREPARED, credit_note_pdf_stored, invoice_pdf_stored
from onboarding.billing.dunning_decisions import invoice_dunning_decide
from onboarding.billing.models import InvoiceStatus
from onboarding.billing.plan_changes import (
    plan_change_preview,
    subscription_change_plan,
    subscription_scheduled_change_cancel,
)
from onboarding.billing.schemas import (
    CreditNoteOut,
    CycleIn,
    DunningDecisionIn,
    InvoiceDetailOut,
    InvoiceSummaryOut,
    PlanChangeIn,
    PlanChangeOut,
    PlanChangeQuoteOut,
    PurchaseIn,
    RefundIn,
    StaffInvoiceOut,
    SubscriptionOut,
    VoidIn,
)
from onboarding.billing.selectors import (
    credit_note_get_for,
    invoice_dispute,
    invoice_disputes,
    invoice_get_for,
    invoice_list_of,
    invoice_staff_list,
    invoice_with_lines_get_for,
    subscriptions_of,
)
from onboarding.billing.services import (
    invoice_pay,
    invoice_refund,
    invoice_void,
    subscription_change_cycle,
    subscription_purchase,
)
from onboarding.billing.views import pdf_response
from onboarding.catalog.selectors import plan_get_on_sale
from onboarding.core.access import get_visible_or_404, visible_to
from onboarding.core.errors import DomainError
from onboarding.core.money import Money

router = Router()


def _pdf_or_pending(content: bytes | None, *, filename: str) -> HttpResponse:
    """The stored PDF, or 202 while the worker prepares it: ask again after Retry-After."""
    if content is None:
        return JsonResponse(
            {"detail": BEING_PREPARED, "code": "being_prepared"},
            status=202,
            headers={"Retry-After": "3", "Cache-Control": "private, no-store"},
        )
    return pdf_response(content=content, filename=filename)


_ERRORS = {400: dict, 404: dict, 409: dict, 422: dict, 503: dict}


@router.get("", response={200: list[SubscriptionOut], 404: dict}, summary="Your subscriptions")
def list_subscriptions(request: HttpRequest):
    customer = customer_of_user(user=request.user)
    return [SubscriptionOut.of(s) for s in subscriptions_of(customer=customer)]


@router.post("", response={201: SubscriptionOut, **_ERRORS}, summary="Buy a plan")
def purchase(request: HttpRequest, payload: PurchaseIn):
    customer = customer_of_user(user=request.user)
    plan = plan_get_on_sale(slug=payload.plan)
    subscription = subscription_purchase(
        customer=customer,
        plan=plan,
        cycle=payload.cycle,
        currency=payload.currency,
        actor=request.user,
    )
    return 201, SubscriptionOut.of(subscription)


@router.put(
    "/{subscription_id}/cycle",
    response={200: SubscriptionOut, **_ERRORS},
    summary="Change the billing cycle from the next period",
)
def change_cycle(request: HttpRequest, subscription_id: int, payload: CycleIn):
    customer = customer_of_user(user=request.user)
    subscription = get_visible_or_404(
        request.user, customer.subscriptions.select_related("plan"), pk=subscription_id
    )
    subscription = subscription_change_cycle(
        subscription=subscription, cycle=payload.cycle, actor=request.user
    )
    return SubscriptionOut.of(subscription)


def _own_subscription(request: HttpRequest, subscription_id: int):
    customer = customer_of_user(user=request.user)
    return get_visible_or_404(
        request.user,
        customer.subscriptions.select_related("plan__product", "pending_plan", "customer"),
        pk=subscription_id,
    )


@router.post(
    "/{subscription_id}/plan-change/preview",
    response={200: PlanChangeQuoteOut, **_ERRORS},
    summary="What a change of plan or quantity would cost now; changes nothing",
)
def preview_plan_change(request: HttpRequest, subscription_id: int, payload: PlanChangeIn):
    subscription = _own_subscription(request, subscription_id)
    plan = plan_get_on_sale(slug=payload.plan)
    quote = plan_change_preview(subscription=subscription, plan=plan, quantity=payload.quantity)
    return PlanChangeQuoteOut.of(quote)


@router.post(
    "/{subscription_id}/plan-change",
    response={200: PlanChangeOut, **_ERRORS},
    summary="Change plan or quantity: dearer now (charged at once), cheaper at the period end",
)
def change_plan(request: HttpRequest, subscription_id: int, payload: PlanChangeIn):
    subscription = _own_subscription(request, subscription_id)
    plan = plan_get_on_sale(slug=payload.plan)
    outcome = subscription_change_plan(
        subscription=subscription, plan=plan, quantity=payload.quantity, actor=request.user
    )
    return _change_out(request, subscription_id, outcome)


def _change_out(request: HttpRequest, subscription_id: int, outcome) -> PlanChangeOut:
    return PlanChangeOut(
        status=outcome.change.status if outcome.change else "scheduled",
        invoice_number=outcome.invoice.number if outcome.invoice else None,
        quote=PlanChangeQuoteOut.of(outcome.quote),
        subscription=SubscriptionOut.of(_own_subscription(request, subscription_id)),
    )


@router.post(
    "/{subscription_id}/cycle/now/preview",
    response={200: PlanChangeQuoteOut, **_ERRORS},
    summary="What a longer billing cycle from now would cost; changes nothing",
)
def preview_cycle_now(request: HttpRequest, subscription_id: int, payload: CycleIn):
    subscription = _own_subscription(request, subscription_id)
    quote = cycle_change_now_preview(subscription=subscription, cycle=payload.cycle)
    return PlanChangeQuoteOut.of(quote)


@router.post(
    "/{subscription_id}/cycle/now",
    response={200: PlanChangeOut, **_ERRORS},
    summary="Start a longer billing cycle now, prorated and charged at once",
)
def change_cycle_now(request: HttpRequest, subscription_id: int, payload: CycleIn):
    subscription = _own_subscription(request, subscription_id)
    outcome = subscription_change_cycle_now(
        subscription=subscription, cycle=payload.cycle, actor=request.user
    )
    return _change_out(request, subscription_id, outcome)


@router.delete(
    "/{subscription_id}/scheduled-change",
    response={200: SubscriptionOut, **_ERRORS},
    summary="Cancel the change scheduled for the period end",
)
def cancel_scheduled_change(request: HttpRequest, subscription_id: int):
    subscription = _own_subscription(request, subscription_id)
    subscription_scheduled_change_cancel(subscription=subscription, actor=request.user)
    return SubscriptionOut.of(_own_subscription(request, subscription_id))


# --- /api/v1/me/invoices -------------------------------------------------------------------------

invoices_router = Router()


@invoices_router.get(
    "", response={200: list[InvoiceSummaryOut], 404: dict}, summary="Your invoices"
)
def list_invoices(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10**9),
):
    customer = customer_of_user(user=request.user)
    invoices = list(
        visible_to(request.user, invoice_list_of(customer=customer))[offset : offset + limit]
    )
    disputes = invoice_disputes(invoices=invoices)
    return [InvoiceSummaryOut.of(invoice, disputes.get(invoice.pk)) for invoice in invoices]


@invoices_router.get(
    "/{invoice_id}", response={200: InvoiceDetailOut, 404: dict}, summary="One of your invoices"
)
def get_invoice(request: HttpRequest, invoice_id: int):
    customer_of_user(user=request.user)
    invoice = invoice_with_lines_get_for(user=request.user, invoice_id=invoice_id)
    return InvoiceDetailOut.of(invoice, invoice_dispute(invoice=invoice))


@invoices_router.get(
    "/{invoice_id}/pdf",
    response={200: None, 202: dict, 404: dict, 503: dict},
    summary="The invoice as a PDF",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def get_invoice_pdf(request: HttpRequest, invoice_id: int):
    customer_of_user(user=request.user)
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    content = invoice_pdf_stored(invoice=invoice, actor=request.user)
    return _pdf_or_pending(content, filename=f"{invoice.number}.pdf")


@invoices_router.get(
    "/{invoice_id}/credit-notes/{credit_note_id}/pdf",
    response={200: None, 202: dict, 404: dict, 503: dict},
    summary="A credit note of the invoice as a PDF",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def get_credit_note_pdf(request: HttpRequest, invoice_id: int, credit_note_id: int):
    customer_of_user(user=request.user)
    credit_note = credit_note_get_for(
        user=request.user, invoice_id=invoice_id, credit_note_id=credit_note_id
    )
    content = credit_note_pdf_stored(credit_note=credit_note, actor=request.user)
    return _pdf_or_pending(content, filename=f"{credit_note.number}.pdf")


@invoices_router.post(
    "/{invoice_id}/pay",
    response={200: InvoiceSummaryOut, **_ERRORS},
    summary="Pay an open invoice now with the card on file",
)
def pay_invoice(request: HttpRequest, invoice_id: int):
    customer_of_user(user=request.user)
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    invoice = invoice_pay(invoice=invoice, actor=request.user)
    return InvoiceSummaryOut.of(invoice)


# --- /api/v1/staff/invoices ----------------------------------------------------------------------

staff_invoices_router = Router()


@staff_invoices_router.get(
    "", response={200: list[StaffInvoiceOut], 400: dict, 422: dict}, summary="Invoices, filtered"
)
def staff_list_invoices(
    request: HttpRequest,
    status: str = Query("", max_length=16, description="draft, open, paid, void, uncollectible"),
    q: str = Query("", max_length=120, description="Number, customer reference, name or email"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10**9),
):
    if status and status not in InvoiceStatus.values:
        raise DomainError(
            gettext("status must be one of %(statuses)s.")
            % {"statuses": ", ".join(InvoiceStatus.values)},
            field="status",
        )

    invoices = list(
        visible_to(request.user, invoice_staff_list(status=status, query=q))[
            offset : offset + limit
        ]
    )
    disputes = invoice_disputes(invoices=invoices)
    return [StaffInvoiceOut.of(invoice, disputes.get(invoice.pk)) for invoice in invoices]


@staff_invoices_router.get(
    "/{invoice_id}", response={200: InvoiceDetailOut, 404: dict}, summary="One invoice"
)
def staff_get_invoice(request: HttpRequest, invoice_id: int):
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    return InvoiceDetailOut.of(invoice, invoice_dispute(invoice=invoice))


@staff_invoices_router.get(
    "/{invoice_id}/pdf",
    response={200: None, 202: dict, 404: dict, 503: dict},
    summary="The invoice as a PDF",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def staff_get_invoice_pdf(request: HttpRequest, invoice_id: int):
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    content = invoice_pdf_stored(invoice=invoice, actor=request.user)
    return _pdf_or_pending(content, filename=f"{invoice.number}.pdf")


@staff_invoices_router.post(
    "/{invoice_id}/refund",
    response={201: CreditNoteOut, 403: dict, 502: dict, **_ERRORS},
    summary="Refund all or part of a paid invoice (a numbered credit note)",
)
def staff_refund_invoice(request: HttpRequest, invoice_id: int, payload: RefundIn):
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    amount = (
        Money(payload.amount_minor, invoice.currency) if payload.amount_minor is not None else None
    )
    credit_note = invoice_refund(
        invoice=invoice, actor=request.user, amount=amount, reason=payload.reason
    )
    return 201, CreditNoteOut.of(credit_note)


@staff_invoices_router.post(
    "/{invoice_id}/void", response={200: StaffInvoiceOut, **_ERRORS}, summary="Void an invoice"
)
def staff_void_invoice(request: HttpRequest, invoice_id: int, payload: VoidIn):
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    invoice = invoice_void(invoice=invoice, actor=request.user, reason=payload.reason)
    return StaffInvoiceOut.of(invoice)


@staff_invoices_router.post(
    "/{invoice_id}/dunning-decision",
    response={200: StaffInvoiceOut, 403: dict, **_ERRORS},
    summary="Decide on an invoice whose dunning waits for a manager (past_due or extend)",
)
def staff_decide_invoice_dunning(request: HttpRequest, invoice_id: int, payload: DunningDecisionIn):
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    invoice = invoice_dunning_decide(
        invoice=invoice, decision=payload.decision, days=payload.days, actor=request.user
    )
    return StaffInvoiceOut.of(invoice, invoice_dispute(invoice=invoice))
