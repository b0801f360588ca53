"""Buying a plan, and changing a subscription's billing cycle."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from onboarding.accounts.access import get_visible_or_404
from onboarding.accounts.selectors import customer_of_user
from onboarding.billing.forms import CycleForm
from onboarding.billing.models import Subscription
from onboarding.billing.services import subscription_change_cycle, subscription_purchase
from onboarding.catalog.selectors import plan_get_on_sale
from onboarding.core.errors import DomainError
from onboarding.core.failures import reported_failure
from onboarding.core.forms import form_error_from
from onboarding.payments.selectors import payment_method_active

PURCHASE_FAILED = (
    "Your purchase could not be completed because of a problem on our side. "
    "You have not been charged, and our team has been told."
)
CYCLE_FAILED = (
    "Your billing cycle could not be changed because of a problem on our side. "
    "Nothing was changed, and our team has been told."
)


@login_required
def buy(request: HttpRequest, slug: str) -> HttpResponse:
    """The purchase page: the plan, what is still needed (profile, card), the cycle, confirm."""
    customer = customer_of_user(user=request.user)
    plan = plan_get_on_sale(slug=slug)
    prices = {price.cycle: price for price in plan.prices.all()}
    initial_cycle = request.GET.get("cycle") if request.GET.get("cycle") in prices else None
    form = CycleForm(
        request.POST or None,
        available=list(prices),
        initial={"cycle": initial_cycle or next(iter(prices), None)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            with reported_failure(
                reason="purchase_failed",
                user_message=PURCHASE_FAILED,
                target=customer,
                customer_id=customer.pk,
                actor=request.user,
                context={"plan": plan.slug},
            ):
                subscription = subscription_purchase(
                    customer=customer,
                    plan=plan,
                    cycle=form.cleaned_data["cycle"],
                    actor=request.user,
                )
        except DomainError as error:
            form_error_from(form, error)
        else:
            cycle = subscription.get_cycle_display().lower()
            messages.success(request, f"Thank you: {plan.name} is yours, billed {cycle}.")
            return redirect("accounts:home")
    return render(
        request,
        "billing/buy.html",
        {
            "plan": plan,
            "prices": prices,
            "form": form,
            "customer": customer,
            "card": payment_method_active(customer=customer),
            "missing": customer.missing_for_purchase,
        },
        status=422 if form.errors else 200,
    )


@require_POST
@login_required
def change_cycle(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = get_visible_or_404(
        request.user, Subscription.objects.select_related("plan"), pk=subscription_id
    )
    available = list(subscription.plan.prices.values_list("cycle", flat=True))
    form = CycleForm(request.POST, available=available)
    if not form.is_valid():
        messages.error(request, "Choose one of the billing cycles offered for this plan.")
        return redirect("accounts:home")
    try:
        with reported_failure(
            reason="cycle_change_failed",
            user_message=CYCLE_FAILED,
            target=subscription,
            customer_id=subscription.customer_id,
            actor=request.user,
        ):
            subscription = subscription_change_cycle(
                subscription=subscription, cycle=form.cleaned_data["cycle"], actor=request.user
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Your billing cycle changes when the next period starts."
            if subscription.pending_cycle
            else "Your billing cycle stays as it is.",
        )
    return redirect("accounts:home")
