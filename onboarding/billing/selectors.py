from onboarding.accounts.models import Customer
from onboarding.billing.models import Subscription


def subscriptions_of(*, customer: Customer) -> list[Subscription]:
    return list(
        Subscription.objects.filter(customer=customer)
        .select_related("plan__product")
        .prefetch_related("plan__prices")
        .order_by("-purchased_at")
    )
