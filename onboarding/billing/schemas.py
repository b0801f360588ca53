from datetime import datetime

from ninja import Schema
from pydantic import Field

from onboarding.billing.models import Subscription


class PurchaseIn(Schema):
    plan: str = Field(..., min_length=1, max_length=120, description="The plan's slug")
    cycle: str = Field(..., min_length=1, max_length=16, description="monthly, quarterly or annual")


class CycleIn(Schema):
    cycle: str = Field(..., min_length=1, max_length=16)


class SubscriptionOut(Schema):
    id: int
    plan: str
    plan_name: str
    status: str
    cycle: str
    pending_cycle: str
    amount_minor: int
    tax_minor: int
    currency: str
    purchased_at: datetime
    next_invoice_at: datetime

    @staticmethod
    def of(subscription: Subscription) -> "SubscriptionOut":
        return SubscriptionOut(
            id=subscription.pk,
            plan=subscription.plan.slug,
            plan_name=subscription.plan.name,
            status=subscription.status,
            cycle=subscription.cycle,
            pending_cycle=subscription.pending_cycle,
            amount_minor=subscription.amount_minor,
            tax_minor=subscription.tax.amount_minor,
            currency=subscription.currency,
            purchased_at=subscription.purchased_at,
            next_invoice_at=subscription.next_invoice_at,
        )
