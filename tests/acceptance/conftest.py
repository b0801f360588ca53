"""Fixtures for acceptance and risk tests: an active contract, set up directly (the contract
pipeline has its own tests), and the deadlines made short."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.billing.models import Subscription, SubscriptionStatus
from onboarding.catalog.models import Plan
from onboarding.contracts.models import Contract, ContractState
from onboarding.notifications.relay import relay_drain
from tests.factories import UserFactory, complete_profile, plan_with_prices


def active_contract(*, plan=None, state=ContractState.ACTIVE, number="CTR-2026-000101"):
    plan = (
        plan
        or Plan.objects.filter(slug="business-care").first()
        or plan_with_prices("business-care")
    )
    user = UserFactory(first_name="Grace", last_name="Hopper")
    complete_profile(user.customer, company="Compilers Ltd")
    start = timezone.now() - timedelta(days=1)
    subscription = Subscription.objects.create(
        customer=user.customer,
        plan=plan,
        status=SubscriptionStatus.ACTIVE,
        cycle="monthly",
        amount_minor=9900,
        currency="EUR",
        tax_rate_bp=2000,
        purchased_at=start,
        billing_anchor=start,
        current_period_start=start,
        current_period_end=start + timedelta(days=30),
        next_invoice_at=start + timedelta(days=30),
        first_paid_at=start,
    )
    return Contract.objects.create(
        customer=user.customer,
        subscription=subscription,
        plan=plan,
        term_index=1,
        number=number,
        state=state,
        term_start=start,
        term_end=start + timedelta(days=365),
        term_months=12,
        cycle="monthly",
        amount_minor=9900,
        currency="EUR",
        tax_rate_bp=2000,
        product_name=plan.product.name,
        plan_name=plan.name,
        issued_at=start,
        sent_at=start,
    )


@pytest.fixture
def contract(db):
    return active_contract()


def deliver_outbox() -> None:
    relay_drain(worker_id="acceptance-test-relay")
