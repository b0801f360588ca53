"""The card on file: add one, or replace it after the password again (accounts.reauthentication)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from onboarding.accounts.reauthentication import (
    reauthentication_redirect,
    recently_reauthenticated,
)
from onboarding.accounts.selectors import customer_of_user
from onboarding.alerts.failures import reported_failure
from onboarding.core.errors import DomainError
from onboarding.core.forms import form_error_from
from onboarding.core.redirects import requested_next_url
from onboarding.payments.forms import CardForm
from onboarding.payments.gateways import get_gateway
from onboarding.payments.methods import payment_method_add
from onboarding.payments.selectors import payment_method_active

CARD_FAILED = (
    "Your card could not be saved because of a problem on our side. "
    "Nothing was charged, and our team has been told."
)


def _next_url(request: HttpRequest) -> str:
    return requested_next_url(request)


def _ask_for_the_password(request: HttpRequest) -> HttpResponse:
    """Replacing a card needs the password again. Asked before the form is filled in: a POST
    is not kept to be replayed after it, because it holds a card number."""
    then = reverse("payments:card")
    if _next_url(request):
        then += "?" + urlencode({"next": _next_url(request)})
    again = " Then enter the new card again." if request.method == "POST" else ""
    messages.info(request, f"To replace your card, enter your password again.{again}")
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
        try:
            with reported_failure(
                reason="card_update_failed",
                user_message=CARD_FAILED,
                target=customer,
                customer_id=customer.pk,
                actor=request.user,
            ):
                method = payment_method_add(
                    customer=customer,
                    actor=request.user,
                    card=form.card_details(),
                    identity_confirmed=recently_reauthenticated(request),
                )
        except DomainError as error:
            form_error_from(form, error)
        else:
            messages.success(request, f"{method} is on file.")
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
    error = ""
    if request.method == "POST":
        try:
            with reported_failure(
                reason="card_update_failed",
                user_message=CARD_FAILED,
                target=customer,
                customer_id=customer.pk,
                actor=request.user,
            ):
                method = payment_method_add(
                    customer=customer,
                    actor=request.user,
                    client_token=request.POST.get("setup_intent", "")[:128],
                    identity_confirmed=recently_reauthenticated(request),
                )
        except DomainError as refusal:
            error = refusal.message
        else:
            messages.success(request, f"{method} is on file.")
            return redirect(_next_url(request) or "accounts:home")
    try:
        with reported_failure(
            reason="card_form_unavailable",
            user_message="The card form cannot be shown right now; our team has been told.",
            target=customer,
            customer_id=customer.pk,
        ):
            start = get_gateway().setup_start(
                customer_reference=customer.reference,
                email=customer.user.email,
                gateway_customer_id=customer.gateway_customer_id,
            )
    except DomainError as unavailable:
        messages.error(request, unavailable.message)
        return redirect("accounts:home")
    return render(
        request,
        "payments/card_stripe.html",
        {
            "current": current,
            "client_secret": start.client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "error": error,
            "next": _next_url(request),
        },
        status=422 if error else 200,
    )
