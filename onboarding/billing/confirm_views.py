"""The customer's page to confirm with their bank a payment it asks them to confirm (SCA).

Only the invoice's own customer, signed in, sees it (anyone else, staff included: 404). The
sandbox shows a stand-in for the bank's page ("Confirm payment" / "Cancel"); Stripe mode runs
Stripe.js `confirmCardPayment` with the PaymentIntent's client secret, asked of Stripe for this
page and never stored, then posts "done" so the answer is read from Stripe.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from onboarding.billing.authentication import (
    invoice_action_confirm,
    invoice_confirmation_start,
    invoice_for_confirmation,
)
from onboarding.billing.models import PAYMENT_FAILED, PaymentState
from onboarding.core.errors import Conflict, NotFound
from onboarding.core.forms import refusals_on

DECISIONS = {"confirm": True, "done": True, "cancel": False}


def _answer_message(request: HttpRequest, invoice, decision: str) -> None:
    if invoice.payment_state == PaymentState.SUCCEEDED:
        messages.success(
            request,
            _("Thank you: the payment is confirmed and invoice {number} is paid.").format(
                number=invoice.number
            ),
        )
    elif invoice.payment_state in PAYMENT_FAILED:
        messages.error(
            request,
            _(
                "Your bank refused the payment: {reason} Please update your card and try again."
            ).format(reason=invoice.payment_failure_text),
        )
    elif decision == "cancel":
        messages.warning(
            request,
            _(
                "You cancelled: the payment was not made. You can confirm it here at any time; "
                "we will remind you."
            ),
        )
    elif invoice.payment_state == PaymentState.ACTION_REQUIRED:
        messages.error(
            request,
            _(
                "The payment was not confirmed with your bank, so nothing was charged. "
                "Try again, or use another card."
            ),
        )
    else:
        messages.warning(
            request,
            _(
                "We are confirming this payment with the payment provider. You will not be "
                "charged twice; the invoice shows the result once it is known."
            ),
        )


@login_required
def invoice_confirm(request: HttpRequest, invoice_id: int) -> HttpResponse:
    try:
        invoice = invoice_for_confirmation(user=request.user, invoice_id=invoice_id)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision not in DECISIONS:
            messages.error(request, _("Choose to confirm or to cancel the payment."))
            return redirect("billing:invoice_confirm", invoice_id=invoice.pk)
        with refusals_on(request=request) as outcome:
            try:
                invoice = invoice_action_confirm(
                    invoice=invoice, actor=request.user, approve=DECISIONS[decision]
                )
            except Conflict as moved_on:
                messages.info(request, moved_on.message)  # a second tap, another tab
                return redirect("billing:invoice", invoice_id=invoice.pk)
        if not outcome.ok:
            return redirect("billing:invoice_confirm", invoice_id=invoice.pk)
        _answer_message(request, invoice, decision)
        if invoice.payment_state == PaymentState.ACTION_REQUIRED and decision != "cancel":
            return redirect("billing:invoice_confirm", invoice_id=invoice.pk)
        return redirect("billing:invoice", invoice_id=invoice.pk)
    with refusals_on(request=request) as shown:
        try:
            step = invoice_confirmation_start(invoice=invoice)
        except Conflict as moved_on:
            messages.info(request, moved_on.message)
            return redirect("billing:invoice", invoice_id=invoice.pk)
    if not shown.ok:
        return redirect("billing:invoice", invoice_id=invoice.pk)
    return render(
        request,
        "billing/invoice_confirm.html",
        {
            "invoice": invoice,
            "attempt": step.attempt,
            "gateway": settings.PAYMENT_GATEWAY,
            "client_secret": step.start.client_secret,
            "payment_method": step.start.payment_method,
            "publishable_key": getattr(settings, "STRIPE_PUBLISHABLE_KEY", ""),
        },
    )
