"""Customer pages: buying a plan, changing a subscription's billing cycle, and invoices (list,
detail, PDF download, pay now)."""

import io
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onboarding.accounts.selectors import customer_of_user
from onboarding.billing.downloads import (
    BEING_PREPARED,
    credit_note_pdf_stored,
    invoice_pdf_stored,
)
from onboarding.billing.forms import CycleForm
from onboarding.billing.intent import BILLED, forget, intent_for, intent_of, remember
from onboarding.billing.models import (
    LIVE_STATUSES,
    PAYMENT_FAILED,
    PAYMENT_IN_FLIGHT,
    CreditNote,
    Invoice,
    PaymentState,
    Subscription,
)
from onboarding.billing.selectors import (
    buyer_tax,
    credit_note_get_for,
    invoice_dispute,
    invoice_get_for,
    invoice_list_of,
    invoice_needs_new_card,
    plan_cycle_offers,
    subscriptions_of,
)
from onboarding.billing.services import (
    NewCardNeeded,
    invoice_pay,
    subscription_change_cycle,
    subscription_purchase,
)
from onboarding.catalog.selectors import plan_get_on_sale
from onboarding.core.access import get_visible_or_404
from onboarding.core.errors import Conflict, NotFound
from onboarding.core.forms import refusals_on
from onboarding.core.money import DEFAULT_CURRENCY
from onboarding.core.pagination import page_number
from onboarding.core.post_only import post_only
from onboarding.payments.selectors import payment_method_active


def _missing_reason(*, needs_address: bool, needs_card: bool) -> str:
    """What stands between the customer and "Confirm purchase", in their words."""
    if needs_address and needs_card:
        return _("Add your billing address and a card to confirm.")
    if needs_address:
        return _("Add your billing address to confirm.")
    if needs_card:
        return _("Add a card to confirm.")
    return ""


def _plan_or_404(slug: str):
    try:
        return plan_get_on_sale(slug=slug)
    except NotFound as error:
        raise Http404(error.message) from error


def _same_product(customer, plan) -> Subscription | None:
    """The customer's live subscription of another plan of `plan`'s product: the buyer most
    likely means to change that plan, not to hold two contracts for one product."""
    return next(
        (
            subscription
            for subscription in subscriptions_of(customer=customer)
            if subscription.plan.product_id == plan.product_id
            and subscription.plan_id != plan.pk
            and subscription.status in LIVE_STATUSES
        ),
        None,
    )


def _owned(customer, plan) -> Subscription | None:
    """The customer's live subscription of `plan`, if they have one."""
    return next(
        (
            subscription
            for subscription in subscriptions_of(customer=customer)
            if subscription.plan_id == plan.pk and subscription.status in LIVE_STATUSES
        ),
        None,
    )


def _buy_currency(request: HttpRequest, customer, plan, kept: str) -> str:
    """The currency the buy page shows and buys in: the customer's own once fixed; for a first
    purchase the one they picked (`currency`, else the one `kept` from the pricing page), if the
    plan is sold in it, else the default."""
    if customer.currency:
        return customer.currency
    picked = (request.POST.get("currency") or request.GET.get("currency") or kept).upper()
    sold = plan.currencies
    if picked in sold:
        return picked
    return DEFAULT_CURRENCY if DEFAULT_CURRENCY in sold or not sold else sold[0]


def buy(request: HttpRequest, slug: str) -> HttpResponse:
    """The purchase page: the plan, what is still needed (profile, card), the cycle, confirm.

    A visitor is sent to sign up first (sign-in is one link away there), with the plan and
    cycle kept in the session and in `next`, so every step after it leads back here."""
    plan = _plan_or_404(slug)
    offered = [price.cycle for price in plan.prices.all()]
    # This page's own address first; else what this browser chose for this plan on the way here.
    kept = intent_of(request)
    kept = kept if kept is not None and kept.plan_slug == plan.slug else None
    requested = request.GET.get("cycle") or (kept.cycle if kept else None)
    cycle = requested if requested in offered else next(iter(offered), None)
    wanted = request.GET.get("currency") or (kept.currency if kept else "")
    chosen = intent_for(plan_slug=plan.slug, cycle=cycle, currency=wanted)
    if not request.user.is_authenticated:
        if chosen is None:
            return redirect_to_login(request.get_full_path())
        remember(request, chosen)
        return redirect(reverse("account_signup") + chosen.next_query())
    customer = customer_of_user(user=request.user)
    owned = _owned(customer, plan)
    if owned is not None and request.method == "GET":
        # Back after buying, or the link again: nothing to confirm, so no button to press.
        forget(request)
        return render(request, "billing/buy.html", {"plan": plan, "owned": owned})
    if chosen is not None and request.method == "GET":
        remember(request, chosen)
    currency, tax = (
        _buy_currency(request, customer, plan, chosen.currency if chosen else ""),
        buyer_tax(customer=customer),
    )
    offers = plan_cycle_offers(plan=plan, currency=currency, tax=tax)  # the buyer's tax
    form = CycleForm(request.POST or None, offers=offers, initial={"cycle": cycle})
    if request.method == "POST" and owned is None and form.is_valid():
        with refusals_on(form) as outcome:
            subscription = subscription_purchase(
                customer=customer,
                plan=plan,
                cycle=form.cleaned_data["cycle"],
                currency=currency,
                actor=request.user,
            )
        if outcome.ok:
            forget(request)
            billed = BILLED[subscription.cycle]
            # The first charge runs in the worker after this answer: it may still be declined.
            messages.info(
                request,
                _(
                    "Thank you for your order: {plan}, billed {billed}. We are charging your "
                    "card now; this page updates when the payment is through."
                ).format(plan=plan.name, billed=billed),
            )
            return redirect("accounts:home")
        owned = _owned(customer, plan)  # a second tap that lost the race to the first
    if owned is not None:
        # A second tap (or Back and Confirm again) after the purchase went through: no error,
        # the purchase stands; the account page is where it shows.
        forget(request)
        messages.info(
            request, _("You already have {plan}: it is on your account.").format(plan=plan.name)
        )
        return redirect("accounts:home")
    card = payment_method_active(customer=customer)
    missing = customer.missing_for_purchase
    return render(
        request,
        "billing/buy.html",
        {
            "plan": plan,
            "form": form,
            "customer": customer,
            "currency": currency,
            "tax": tax,
            "card": card,
            "missing": missing,
            "same_product": _same_product(customer, plan),
            "blocked_reason": (
                _("{plan} has no price in {currency}, your account's currency.").format(
                    plan=plan.name, currency=currency
                )
                if not offers
                else _missing_reason(needs_address=bool(missing), needs_card=card is None)
            ),
        },
        status=422 if form.errors else 200,
    )


@post_only(lambda subscription_id: reverse("accounts:home"))
@login_required
def change_cycle(request: HttpRequest, subscription_id: int) -> HttpResponse:
    customer_of_user(user=request.user)  # a customer's own page: staff get 404, as on the API
    subscription = get_visible_or_404(
        request.user, Subscription.objects.select_related("plan"), pk=subscription_id
    )
    available = list(
        subscription.plan.prices.filter(currency=subscription.currency).values_list(
            "cycle", flat=True
        )
    )
    form = CycleForm(request.POST, available=available)
    if not form.is_valid():
        messages.error(request, _("Choose one of the billing cycles offered for this plan."))
        return redirect("accounts:home")
    with refusals_on(request=request) as outcome:
        subscription = subscription_change_cycle(
            subscription=subscription, cycle=form.cleaned_data["cycle"], actor=request.user
        )
    if outcome.ok:
        messages.success(request, _cycle_change_message(subscription))
    return redirect("accounts:home")


def _cycle_change_message(subscription: Subscription) -> str:
    if not subscription.pending_cycle:
        return _("Your billing cycle stays as it is.")
    # The bill run invoices the next period at next_invoice_at, with the new cycle's price.
    starts = date_format(timezone.localtime(subscription.next_invoice_at), "DATE_FORMAT")
    cycle = subscription.get_pending_cycle_display().lower()
    return _(
        "Your billing cycle changes to {cycle} on {starts}, when the next period starts."
    ).format(cycle=cycle, starts=starts)


# --- Invoices ------------------------------------------------------------------------------------

PAGE_SIZE = 25


@require_GET
@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    invoices = invoice_list_of(customer=customer)
    page = Paginator(invoices, PAGE_SIZE).get_page(page_number(request))
    return render(request, "billing/invoices.html", {"page": page, "customer": customer})


# A payment in flight is asked about every POLL_SECONDS, at most POLL_LIMIT times (about a
# minute); a payment still unknown by then is settled by the reconciler, which takes longer.
POLL_SECONDS = 3
POLL_LIMIT = 20


def _poll_count(request: HttpRequest) -> int:
    """How many times the page asked by itself so far (its `poll` parameter; 0 for a person)."""
    try:
        return max(0, int(request.GET.get("poll", "0")))
    except ValueError:
        return 0


@require_GET
@login_required
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    customer_of_user(user=request.user)
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    polls = _poll_count(request)
    in_flight = invoice.payment_state in PAYMENT_IN_FLIGHT
    card = payment_method_active(customer=invoice.customer)
    context = {
        "invoice": invoice,
        "card": card,
        "dispute": invoice_dispute(invoice=invoice),
        "new_card_needed": invoice_needs_new_card(invoice=invoice, card=card),
        "poll_next": polls + 1 if in_flight and polls < POLL_LIMIT else None,
        "poll_stopped": in_flight and polls >= POLL_LIMIT,
        "poll_seconds": POLL_SECONDS,
    }
    # The poll gets the invoice alone: a whole page would also take the flash messages.
    template = "billing/_invoice.html" if request.htmx else "billing/invoice_detail.html"
    return render(request, template, context)


def pdf_response(*, content: bytes, filename: str) -> FileResponse:
    response = FileResponse(
        io.BytesIO(content),
        content_type="application/pdf",
        as_attachment=True,
        filename=filename,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def document_answer(
    request: HttpRequest,
    stored,
    *,
    filename: str,
    document_name: str,
    back_url: str,
    back_label: str,
) -> HttpResponse:
    """The stored PDF the worker made, or a "being prepared" page that asks again by itself
    (htmx) until it is there. `stored()` never renders: it reads storage and queues the worker
    (downloads.py). A failure is told on the page `back_url` names, and was reported there."""
    with refusals_on(request=request) as outcome:
        content = stored()
    if not outcome.ok:
        if request.htmx:  # the poll: send the whole page to where the message is shown
            return HttpResponse(status=204, headers={"HX-Redirect": back_url})
        return redirect(back_url)
    context = {
        "document_name": document_name,
        "message": _(BEING_PREPARED),
        "back_url": back_url,
        "back_label": back_label,
    }
    if content is not None and not request.htmx:
        return pdf_response(content=content, filename=filename)
    context["ready"] = content is not None
    template = "billing/_document_status.html" if request.htmx else "billing/document_pending.html"
    response = render(request, template, context, status=200 if content is not None else 202)
    response["Cache-Control"] = "private, no-store"
    return response


def invoice_pdf_answer(request: HttpRequest, invoice: Invoice, *, back_url: str) -> HttpResponse:
    return document_answer(
        request,
        lambda: invoice_pdf_stored(invoice=invoice, actor=request.user),
        filename=f"{invoice.number}.pdf",
        document_name=_("Invoice {number} (PDF)").format(number=invoice.number),
        back_url=back_url,
        back_label=_("Back to invoice {number}").format(number=invoice.number),
    )


def credit_note_pdf_answer(
    request: HttpRequest, credit_note: CreditNote, *, back_url: str
) -> HttpResponse:
    return document_answer(
        request,
        lambda: credit_note_pdf_stored(credit_note=credit_note, actor=request.user),
        filename=f"{credit_note.number}.pdf",
        document_name=_("Credit note {number} (PDF)").format(number=credit_note.number),
        back_url=back_url,
        back_label=_("Back to the invoice"),
    )


@require_GET
@login_required
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    customer_of_user(user=request.user)
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    return invoice_pdf_answer(
        request, invoice, back_url=reverse("billing:invoice", args=[invoice.pk])
    )


@require_GET
@login_required
def credit_note_pdf(request: HttpRequest, invoice_id: int, credit_note_id: int) -> HttpResponse:
    customer_of_user(user=request.user)
    credit_note = credit_note_get_for(
        user=request.user, invoice_id=invoice_id, credit_note_id=credit_note_id
    )
    return credit_note_pdf_answer(
        request, credit_note, back_url=reverse("billing:invoice", args=[invoice_id])
    )


def pay_outcome_message(invoice: Invoice) -> tuple[str, str]:
    """(level, text) telling the customer what happened to their payment."""
    if invoice.payment_state == PaymentState.SUCCEEDED:
        return "success", _("Thank you: invoice {number} is paid. A receipt is on its way.").format(
            number=invoice.number
        )
    if invoice.payment_state in PAYMENT_FAILED:
        return "error", _(
            "The payment did not go through: {reason} Please update your card and try again."
        ).format(reason=invoice.payment_failure_text)
    return "warning", _(
        "We are confirming this payment with the payment provider. You will not be charged "
        "twice; this page shows the result once it is known."
    )


@post_only(lambda invoice_id: reverse("billing:invoice", args=[invoice_id]))
@login_required
def invoice_pay_now(request: HttpRequest, invoice_id: int) -> HttpResponse:
    customer_of_user(user=request.user)
    invoice = invoice_get_for(user=request.user, invoice_id=invoice_id)
    with refusals_on(request=request) as outcome:
        try:
            invoice = invoice_pay(invoice=invoice, actor=request.user)
        except NewCardNeeded as refusal:
            # Nothing was sent: say so, with the way to the card page (and back here after).
            back = reverse("billing:invoice", args=[invoice.pk])
            card_url = f"{reverse('payments:card')}?next={quote(back)}"
            messages.error(
                request,
                format_html(
                    '{} <a href="{}">{}</a>', refusal.message, card_url, _("Add a new card")
                ),
            )
            return redirect("billing:invoice", invoice_id=invoice.pk)
        except Conflict as moved_on:
            # Paid or being paid since the page was shown (a second tap, another tab): nothing
            # went wrong, and the invoice's page shows where it stands.
            messages.info(request, moved_on.message)
            return redirect("billing:invoice", invoice_id=invoice.pk)
    if outcome.ok:
        level, text = pay_outcome_message(invoice)
        getattr(messages, level)(request, text)
    return redirect("billing:invoice", invoice_id=invoice.pk)
