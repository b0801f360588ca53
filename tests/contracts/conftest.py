"""Fixtures for contract tests: a media folder, a plan, a subscription, the pipeline run inline."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onboarding.billing.models import Subscription, SubscriptionStatus
from onboarding.contracts.delivery import contract_deliver
from onboarding.contracts.documents import contract_document_generate
from onboarding.contracts.issuing import contract_issue_for_subscription
from onboarding.contracts.models import Contract
from tests.factories import UserFactory, complete_profile, plan_with_prices


@pytest.fixture
def plan(db):
    return plan_with_prices("business-care")


def subscribe(user, plan, *, status=SubscriptionStatus.ACTIVE, anchor=None) -> Subscription:
    """A subscription as billing leaves it once the first invoice is paid (set up directly: the
    contract flow starts from a paid subscription, not from the bill run)."""
    anchor = anchor or timezone.now() - timedelta(minutes=5)
    return Subscription.objects.create(
        customer=user.customer,
        plan=plan,
        status=status,
        cycle="monthly",
        amount_minor=9900,
        currency="EUR",
        tax_rate_bp=2000,
        purchased_at=anchor,
        billing_anchor=anchor,
        current_period_start=anchor,
        current_period_end=anchor + timedelta(days=30),
        next_invoice_at=anchor + timedelta(days=30),
        first_paid_at=anchor if status == SubscriptionStatus.ACTIVE else None,
    )


def paying_customer(**user_fields):
    user = UserFactory(first_name="Ada", last_name="Lovelace", **user_fields)
    complete_profile(user.customer, company="Analytical Engines Ltd")
    return user


def deliver_inline(subscription: Subscription) -> Contract:
    """Issue, generate and deliver, calling the services the tasks call, in this process."""
    contract = contract_issue_for_subscription(subscription=subscription)
    contract_document_generate(contract=contract)
    contract_deliver(contract=contract)
    return Contract.objects.get(pk=contract.pk)


@pytest.fixture
def buyer(db):
    return paying_customer()


@pytest.fixture
def subscription(buyer, plan):
    return subscribe(buyer, plan)


@pytest.fixture
def delivered(media, subscription) -> Contract:
    return deliver_inline(subscription)


@pytest.fixture
def buyer_client(buyer):
    client = Client(HTTP_USER_AGENT="ContractTest/1.0 (pytest)")
    client.force_login(buyer)
    return client
