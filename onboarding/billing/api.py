"""/api/v1/me/subscriptions: buy a plan, list what you have, change the billing cycle."""

from django.http import HttpRequest
from ninja import Router

from onboarding.accounts.access import get_visible_or_404
from onboarding.accounts.selectors import customer_of_user
from onboarding.billing.schemas import CycleIn, PurchaseIn, SubscriptionOut
from onboarding.billing.selectors import subscriptions_of
from onboarding.billing.services import subscription_change_cycle, subscription_purchase
from onboarding.catalog.selectors import plan_get_on_sale
from onboarding.core.failures import reported_failure

router = Router()
_ERRORS = {400: dict, 404: dict, 409: dict, 422: dict, 503: dict}


@router.get("", response={200: list[SubscriptionOut], 404: dict}, summary="Your subscriptions")
def list_subscriptions(request: HttpRequest):
    customer = customer_of_user(user=request.user)
    return [SubscriptionOut.of(s) for s in subscriptions_of(customer=customer)]


@router.post("", response={201: SubscriptionOut, **_ERRORS}, summary="Buy a plan")
def purchase(request: HttpRequest, payload: PurchaseIn):
    customer = customer_of_user(user=request.user)
    plan = plan_get_on_sale(slug=payload.plan)
    with reported_failure(
        reason="purchase_failed",
        user_message="Your purchase could not be completed because of a problem on our side.",
        target=customer,
        customer_id=customer.pk,
        actor=request.user,
        context={"plan": plan.slug},
    ):
        subscription = subscription_purchase(
            customer=customer, plan=plan, cycle=payload.cycle, actor=request.user
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
    with reported_failure(
        reason="cycle_change_failed",
        user_message="Your billing cycle could not be changed because of a problem on our side.",
        target=subscription,
        customer_id=customer.pk,
        actor=request.user,
    ):
        subscription = subscription_change_cycle(
            subscription=subscription, cycle=payload.cycle, actor=request.user
        )
    return SubscriptionOut.of(subscription)
