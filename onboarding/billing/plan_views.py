"""Plan and quantity changes as pages: the customer's (from the account page) and staff's on a
customer's behalf (from the SysOps customer view). Both preview the change first (GET with the
choice: the two prorated lines and what is charged now, or the date it takes effect), then
confirm it (POST), and can cancel a change scheduled for the period's end."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from onboarding.accounts.selectors import customer_of_user
from onboarding.billing.cycle_changes import (
    cycle_change_now_preview,
    subscription_change_cycle_now,
)
from onboarding.billing.forms import PlanChangeForm
from onboarding.billing.intent import BILLED
from onboarding.billing.models import PlanChangeStatus, Subscription
from onboarding.billing.plan_changes import (
    PlanChangeOutcome,
    plan_change_preview,
    subscription_change_plan,
    subscription_scheduled_change_cancel,
)
from onboarding.billing.plan_settle import units_label
from onboarding.catalog.models import BillingCycle, Plan
from onboarding.catalog.selectors import plan_list_on_sale
from onboarding.core.access import get_visible_or_404
from onboarding.core.forms import refusals_on
from onboarding.core.money import locale_for
from onboarding.core.post_only import post_only


def _subscription(request: HttpRequest, subscription_id: int) -> Subscription:
    return get_visible_or_404(
        request.user,
        Subscription.objects.select_related(
            "plan__product", "pending_plan__product", "customer__user"
        ),
        pk=subscription_id,
    )


# How each cycle reads after a price: "£850.00 a year".
PER_PERIOD = {
    "monthly": pgettext_lazy("price per", "a month"),
    "quarterly": pgettext_lazy("price per", "a quarter"),
    "annual": pgettext_lazy("price per", "a year"),
}


def _plans_for(subscription: Subscription) -> dict[str, tuple[Plan, str]]:
    """Plans of the subscription's product on sale in its currency with a price for its cycle,
    by slug, each with its label (its unit price per cycle)."""
    offered = {}
    for plan in plan_list_on_sale():
        if plan.product_id != subscription.plan.product_id:
            continue
        price = next(
            (p for p in plan.prices_in(subscription.currency) if p.cycle == subscription.cycle),
            None,
        )
        if price is not None:
            offered[plan.slug] = (
                plan,
                _("{product} · {plan}: {price} per {unit}, {cycle}").format(
                    product=plan.product.name,
                    plan=plan.name,
                    price=price.amount.format(
                        locale=locale_for(country=subscription.customer.country)
                    ),
                    unit=plan.text("unit_name"),
                    cycle=subscription.get_cycle_display().lower(),
                ),
            )
    return offered


def _outcome_message(request: HttpRequest, outcome: PlanChangeOutcome, country: str) -> None:
    quote = outcome.quote
    name = f"{quote.plan.product.name} · {quote.plan.name} ({quote.terms})"
    if quote.cycle:
        name = _("{name}, billed {cycle}").format(name=name, cycle=BILLED[quote.cycle])
    if outcome.change is None:
        starts = date_format(timezone.localtime(quote.at), "DATE_FORMAT")
        messages.success(
            request,
            _(
                "{name} from {starts}, when the next period starts. You can cancel it until then."
            ).format(name=name, starts=starts),
        )
    elif outcome.change.status == PlanChangeStatus.APPLIED:
        messages.success(
            request,
            _("The plan is now {name}. Invoice {number} ({total}) is paid.").format(
                name=name,
                number=outcome.invoice.number,
                total=outcome.invoice.total.format(locale=locale_for(country=country)),
            ),
        )
    elif outcome.change.status == PlanChangeStatus.DECLINED:
        messages.error(
            request,
            _(
                "The payment was declined ({reason}): the plan was not changed and invoice "
                "{number} is void."
            ).format(reason=outcome.invoice.payment_failure_text, number=outcome.invoice.number),
        )
    else:
        messages.info(
            request,
            _("The payment is being processed: the change applies as soon as it is paid."),
        )


def plan_change_page(
    request: HttpRequest, subscription: Subscription, *, done_url: str, cancel_url: str
) -> HttpResponse:
    """The page both sides use: choose, preview, confirm."""
    offered = _plans_for(subscription)
    confirming = request.method == "POST"
    data = request.POST if confirming else (request.GET if "plan" in request.GET else None)
    form = PlanChangeForm(
        data,
        plans=[(slug, label) for slug, (_, label) in offered.items()],
        initial={"plan": subscription.plan.slug, "quantity": subscription.quantity},
    )
    quote = None
    cycle = (request.POST if confirming else request.GET).get("cycle")
    if cycle is not None:
        return _cycle_now(
            request, subscription, form, cycle, done_url=done_url, cancel_url=cancel_url
        )
    if data is not None and form.is_valid():
        plan = offered[form.cleaned_data["plan"]][0]
        quantity = form.cleaned_data["quantity"]
        if confirming:
            with refusals_on(form) as done:
                outcome = subscription_change_plan(
                    subscription=subscription, plan=plan, quantity=quantity, actor=request.user
                )
            if done.ok:
                _outcome_message(request, outcome, subscription.customer.country.code)
                return redirect(done_url)
        else:
            with refusals_on(form):
                quote = plan_change_preview(subscription=subscription, plan=plan, quantity=quantity)
    return _page(request, subscription, form, quote, done_url=done_url, cancel_url=cancel_url)


def _cycle_now(request, subscription, form, cycle: str, *, done_url: str, cancel_url: str):
    """A longer billing cycle from now (cycle_changes.py): preview on GET, confirm on POST."""
    quote = None
    if request.method == "POST":
        with refusals_on(request=request) as done:
            outcome = subscription_change_cycle_now(
                subscription=subscription, cycle=cycle, actor=request.user
            )
        if done.ok:
            _outcome_message(request, outcome, subscription.customer.country.code)
            return redirect(done_url)
    else:
        with refusals_on(request=request) as done:
            quote = cycle_change_now_preview(subscription=subscription, cycle=cycle)
    return _page(
        request,
        subscription,
        form,
        quote,
        done_url=done_url,
        cancel_url=cancel_url,
        refused=not done.ok,
    )


def _page(
    request, subscription, form, quote, *, done_url: str, cancel_url: str, refused: bool = False
) -> HttpResponse:
    return render(
        request,
        "billing/plan_change.html",
        {
            "subscription": subscription,
            "country": subscription.customer.country,
            "per_period": PER_PERIOD.get(subscription.cycle, ""),
            "current_terms": units_label(subscription.plan, subscription.quantity),
            "scheduled_terms": (
                units_label(
                    subscription.pending_plan or subscription.plan,
                    subscription.pending_quantity or subscription.quantity,
                )
                if subscription.has_scheduled_change
                else ""
            ),
            "form": form,
            "quote": quote,
            # "annual": the cycle a move to a longer cycle now bills by, in the reader's words.
            "quote_cycle": BillingCycle(quote.cycle).label.lower() if quote and quote.cycle else "",
            "longer_cycles": [
                c
                for c in BillingCycle
                if c.months > BillingCycle(subscription.cycle).months
                and any(p.cycle == c for p in subscription.plan.prices.all())
            ],
            "cancel_url": cancel_url,
            "done_url": done_url,
            # Staff confirm on the customer's behalf: the card charged is the customer's.
            "staff": request.user.is_staff_role,
        },
        status=422 if form.errors or refused else 200,
    )


def scheduled_change_cancel(
    request: HttpRequest, subscription: Subscription, *, back_url: str
) -> HttpResponse:
    with refusals_on(request=request) as outcome:
        subscription_scheduled_change_cancel(subscription=subscription, actor=request.user)
    if outcome.ok:
        messages.success(request, _("The scheduled change is cancelled: nothing changes."))
    return redirect(back_url)


@login_required
def plan_change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    customer_of_user(user=request.user)  # a customer's own page: staff get 404
    subscription = _subscription(request, subscription_id)
    return plan_change_page(
        request,
        subscription,
        done_url=reverse("accounts:home"),
        cancel_url=reverse("billing:scheduled_change_cancel", args=[subscription.pk]),
    )


@post_only(lambda subscription_id: reverse("billing:plan_change", args=[subscription_id]))
@login_required
def plan_change_scheduled_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    customer_of_user(user=request.user)
    subscription = _subscription(request, subscription_id)
    return scheduled_change_cancel(
        request, subscription, back_url=reverse("billing:plan_change", args=[subscription.pk])
    )


def staff_plan_change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Staff change a customer's plan on their behalf (under /staff/: role and TOTP checked)."""
    subscription = _subscription(request, subscription_id)
    return plan_change_page(
        request,
        subscription,
        done_url=reverse("billing:staff_plan_change", args=[subscription.pk]),
        cancel_url=reverse("billing:staff_scheduled_change_cancel", args=[subscription.pk]),
    )


@post_only(lambda subscription_id: reverse("billing:staff_plan_change", args=[subscription_id]))
def staff_scheduled_change_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    return scheduled_change_cancel(
        request, subscription, back_url=reverse("billing:staff_plan_change", args=[subscription.pk])
    )
