"""Staff pages for invoices: a filtered list with the recent bill runs, a detail page with the
payments, credit notes, a refund form and a void form, and the documents.

StaffAccessMiddleware has already refused anyone without a staff role and TOTP.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.billing.dunning_decisions import actor_may_decide, invoice_dunning_decide
from onboarding.billing.forms import DunningDecisionForm, InvoiceFilterForm, RefundForm, VoidForm
from onboarding.billing.models import Invoice, InvoiceStatus
from onboarding.billing.selectors import (
    bill_runs_recent,
    credit_note_get_for,
    invoice_dispute,
    invoice_get_for,
    invoice_payments,
    invoice_staff_list,
    invoice_status_counts,
    invoice_totals_by_currency,
)
from onboarding.billing.services import invoice_refund, invoice_void
from onboarding.billing.views import credit_note_pdf_answer, invoice_pdf_answer
from onboarding.core.forms import refusals_on
from onboarding.core.pagination import page_number
from onboarding.core.redirects import safe_next_url

PAGE_SIZE = 50


@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {"status": "", "q": ""}
    invoices = invoice_staff_list(status=filters["status"], query=filters["q"])
    page = Paginator(invoices, PAGE_SIZE).get_page(page_number(request))
    return render(
        request,
        "billing/staff/invoice_list.html",
        {
            "form": form,
            "page": page,
            # The state's name in the reader's language beside its count.
            "counts": {
                InvoiceStatus(value).label: n for value, n in invoice_status_counts().items()
            },
            "totals": invoice_totals_by_currency(invoices=invoices),
            "bill_runs": bill_runs_recent(),
            "querystring": request.GET.urlencode(),
        },
        status=200 if form.is_valid() or not request.GET else 422,
    )


def _detail(
    request: HttpRequest,
    invoice: Invoice,
    *,
    refund_form=None,
    void_form=None,
    decision_form=None,
    status=200,
) -> HttpResponse:
    return render(
        request,
        "billing/staff/invoice_detail.html",
        {
            "invoice": invoice,
            "payments": invoice_payments(invoice=invoice),
            "dispute": invoice_dispute(invoice=invoice),
            "refund_form": refund_form or RefundForm(currency=invoice.currency),
            "void_form": void_form or VoidForm(),
            "decision_form": decision_form or DunningDecisionForm(),
            "may_decide": actor_may_decide(request.user),
        },
        status=status,
    )


@require_GET
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    return _detail(request, invoice_get_for(user=request.user, invoice_id=invoice_id))


@require_POST
def invoice_refund_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    form = RefundForm(request.POST, currency=invoice.currency)
    if form.is_valid():
        with refusals_on(form) as outcome:
            credit_note = invoice_refund(
                invoice=invoice,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        if outcome.ok:
            messages.success(
                request,
                gettext("Refunded {total}: credit note {number}.").format(
                    total=credit_note.total, number=credit_note.number
                ),
            )
            return redirect("billing:staff_invoice", invoice_id=invoice.pk)
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    return _detail(request, invoice, refund_form=form, status=422)


@require_POST
def invoice_void_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    form = VoidForm(request.POST)
    if form.is_valid():
        with refusals_on(form) as outcome:
            invoice_void(invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"])
        if outcome.ok:
            messages.success(
                request, gettext("Invoice {number} is void.").format(number=invoice.number)
            )
            return redirect("billing:staff_invoice", invoice_id=invoice.pk)
    return _detail(request, invoice, void_form=form, status=422)


@require_GET
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    return invoice_pdf_answer(
        request, invoice, back_url=reverse("billing:staff_invoice", args=[invoice.pk])
    )


@require_GET
def credit_note_pdf(request: HttpRequest, invoice_id: int, credit_note_id: int) -> HttpResponse:
    credit_note = credit_note_get_for(
        user=request.user, invoice_id=invoice_id, credit_note_id=credit_note_id
    )
    return credit_note_pdf_answer(
        request, credit_note, back_url=reverse("billing:staff_invoice", args=[invoice_id])
    )


@require_POST
def invoice_dunning_decide_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """A manager's dunning decision on a held invoice (dunning_decisions.py); back to the staff
    page it came from (`next`, staff paths only), else the invoice."""
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    form = DunningDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusals_on(form) as outcome:
            decided = invoice_dunning_decide(
                invoice=invoice, decision=data["decision"], days=data["days"], actor=request.user
            )
        if outcome.ok:
            if data["decision"] == "extend":
                messages.success(
                    request,
                    gettext(
                        "Invoice {number}: {days} more days; the next retry is on {when} UTC."
                    ).format(
                        number=decided.number,
                        days=data["days"],
                        when=date_format(decided.next_retry_at, "DATETIME_FORMAT"),
                    ),
                )
            else:
                messages.success(
                    request,
                    gettext(
                        "Invoice {number} is uncollectible and its subscription past due."
                    ).format(number=decided.number),
                )
            invoice_url = reverse("billing:staff_invoice", args=[invoice.pk])
            back = safe_next_url(request, data["next"], invoice_url)
            return redirect(back if back.startswith("/staff/") else invoice_url)
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    return _detail(request, invoice, decision_form=form, status=422)
