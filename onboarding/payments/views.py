"""The card on file: add one, or replace it after the password again (accounts.reauthentication)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from onboarding.accounts.reauthentication import (
    reauthentication_redirect,
    recently_reauthenticated,
)
from onboarding.accounts.selectors import customer_of_user
from onboarding.alerts.failures import reported_failure
from onboarding.core.forms import refusals_on
from onboarding.core.redirects import requested_next_url
from onboarding.payments.authentication import card_setup_confirm
from onboarding.payments.forms import CardForm, SetupIntentForm
from onboarding.payments.gateways import get_gateway
from onboarding.payments.methods import (
    CARD_FORM_UNAVAILABLE,
    CardNeedsConfirmation,
    payment_method_add,
)
from onboarding.payments.selectors import payment_method_active

# The session key of a card setup waiting for the customer's confirmation with their bank.
_SETUP_PENDING = "payments_setup_pending"


def _next_url(request: HttpRequest) -> str:
    return requested_next_url(request)


def _ask_for_the_password(request: HttpRequest) -> HttpResponse:
    """Replacing a card needs the password again. Asked before the form is filled in: a POST
    is not kept to be replayed after it, because it holds a card number."""
    then = reverse("payments:card")
    if _next_url(request):
        then += "?" + urlencode({"next": _next_url(request)})
    messages.info(
        request,
        _("To replace your card, enter your password again. Then enter the new card again.")
        if request.method == "POST"
        else _("To replace your card, enter your password again."),
    )
    return reauthentication_redirect(request, then=then)


@login_required
def card(request: HttpRequest) -> HttpResponse:
    customer = customer_of_user(user=request.user)
    current = payment_method_active(customer=customer)
    if current is not None and not recently_reauthenticated(request):
        return _ask_for_the_password(request)
    if getattr(get_gateway(), "client_side_fields", False):
        return _card_with_client_side_fields(request, customer, current)
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form) as outcome:
            try:
                method = payment_method_add(
                    customer=customer,
                    actor=request.user,
                    card=form.card_details(),
                    identity_confirmed=recently_reauthenticated(request),
                )
            except CardNeedsConfirmation as pending:
                # Kept in this session only: the confirmation step is for whoever typed it.
                request.session[_SETUP_PENDING] = {
                    "reference": pending.reference,
                    "next": _next_url(request),
                }
                return redirect("payments:card_confirm")
        if outcome.ok:
            messages.success(request, _("{card} is on file.").format(card=method.description))
            return redirect(_next_url(request) or "accounts:home")
    form.forget_card()
    return render(
        request,
        "payments/card_form.html",
        {
            "form": form,
            "current": current,
            "next": _next_url(request),
            "gateway": settings.PAYMENT_GATEWAY,
        },
        status=422 if form.errors else 200,
    )


def _card_with_client_side_fields(request: HttpRequest, customer, current) -> HttpResponse:
    """Stripe mode: Stripe's own fields confirm a SetupIntent; we receive only its id."""
    form = SetupIntentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form) as outcome:
            method = payment_method_add(
                customer=customer,
                actor=request.user,
                client_token=form.client_token(),
                identity_confirmed=recently_reauthenticated(request),
            )
        if outcome.ok:
            messages.success(request, _("{card} is on file.").format(card=method.description))
            return redirect(_next_url(request) or "accounts:home")
    # Not one service call: the gateway itself is asked to start a setup for Stripe's fields.
    with (
        refusals_on(request=request) as shown,
        reported_failure(
            reason=CARD_FORM_UNAVAILABLE.reason,
            user_message=CARD_FORM_UNAVAILABLE.message,
            target=customer,
            customer_id=customer.pk,
        ),
    ):
        start = get_gateway().setup_start(
            customer_reference=customer.reference,
            email=customer.user.email,
            gateway_customer_id=customer.gateway_customer_id,
        )
    if not shown.ok:
        return redirect("accounts:home")
    return render(
        request,
        "payments/card_stripe.html",
        {
            "current": current,
            "client_secret": start.client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "form": form,
            "next": _next_url(request),
        },
        status=422 if form.errors else 200,
    )


@login_required
def card_confirm(request: HttpRequest) -> HttpResponse:
    """The sandbox's stand-in for the bank's page confirming a card at setup (SCA): the card is
    on file only once confirmed. Stripe's own fields do this step in the browser."""
    customer = customer_of_user(user=request.user)
    pending = request.session.get(_SETUP_PENDING)
    if not pending:
        messages.info(request, _("There is no card waiting for your confirmation."))
        return redirect("payments:card")
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision not in ("confirm", "cancel"):
            messages.error(request, _("Choose to confirm or to cancel the card."))
            return redirect("payments:card_confirm")
        del request.session[_SETUP_PENDING]
        with refusals_on(request=request) as outcome:
            method = card_setup_confirm(
                customer=customer,
                actor=request.user,
                reference=pending["reference"],
                approve=decision == "confirm",
                identity_confirmed=recently_reauthenticated(request),
            )
        if not outcome.ok:
            return redirect(reverse("payments:card") + _next_query(pending.get("next", "")))
        messages.success(
            request, _("{card} is confirmed and on file.").format(card=method.description)
        )
        return redirect(pending.get("next") or "accounts:home")
    return render(request, "payments/card_confirm.html", {"customer": customer})


def _next_query(next_url: str) -> str:
    return "?" + urlencode({"next": next_url}) if next_url else ""
