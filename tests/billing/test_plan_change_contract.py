"""The contract follows the plan: an applied change publishes the new terms, contracts amend the
contract in force (a new document version to acknowledge) and acceptance adds the new plan's
standard requirements."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.acceptance.models import Rating, RequirementTemplate
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.plan_changes import subscription_change_plan
from onboarding.contracts.delivery import contract_deliver
from onboarding.contracts.documents import contract_document_generate
from onboarding.contracts.models import Contract, ContractState
from onboarding.notifications.models import OutboxMessage
from tests.billing.conftest import bought, deliver_events, ready_customer
from tests.contracts.conftest import deliver_inline
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(plan, media):
    anchor = (timezone.now() - timedelta(days=4)).replace(microsecond=0)
    subscription = bought(ready_customer(), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    contract = deliver_inline(subscription)
    assert contract.state == ContractState.SENT
    return contract


def test_an_upgrade_amends_the_contract_and_adds_the_new_plans_requirements(contract):
    enterprise = plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    RequirementTemplate.objects.create(
        plan=enterprise, title="24/7 on-call", criteria="A named engineer", position=0
    )
    subscription = contract.subscription
    version = contract.document_version_wanted

    subscription_change_plan(
        subscription=subscription, plan=enterprise, quantity=2, actor=subscription.customer.user
    )
    assert OutboxMessage.objects.filter(topic="subscription.terms_changed").count() == 1
    deliver_events()
    deliver_events()  # contract.plan_changed, published by the first delivery

    contract = Contract.objects.get(pk=contract.pk)
    assert contract.state == ContractState.ISSUED  # a new version to deliver and acknowledge
    assert contract.document_version_wanted == version + 1
    assert (contract.plan_id, contract.plan_name, contract.amount_minor) == (
        enterprise.pk,
        "Enterprise Care",
        2 * 29900,
    )
    added = contract.requirements.get(title="24/7 on-call")
    assert added.rating == Rating.UNRATED


def test_a_quantity_change_amends_the_contract_without_new_requirements(contract, plan):
    subscription = contract.subscription

    subscription_change_plan(
        subscription=subscription, plan=plan, quantity=3, actor=subscription.customer.user
    )
    deliver_events()

    contract = Contract.objects.get(pk=contract.pk)
    assert contract.amount_minor == 3 * 9900
    assert contract.state == ContractState.ISSUED
    assert not OutboxMessage.objects.filter(topic="contract.plan_changed").exists()


def test_a_second_change_before_the_first_amendment_is_delivered_is_not_lost(contract, plan):
    """Upgrade, then more seats seconds later, while the first amendment's document is still
    being made: the contract takes the last terms, and only its newest version goes out."""
    enterprise = plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    subscription = contract.subscription
    version = contract.document_version_wanted
    user = subscription.customer.user

    subscription_change_plan(subscription=subscription, plan=enterprise, quantity=1, actor=user)
    deliver_events()
    assert Contract.objects.get(pk=contract.pk).state == ContractState.ISSUED  # not delivered
    subscription.refresh_from_db()
    subscription_change_plan(subscription=subscription, plan=enterprise, quantity=3, actor=user)
    deliver_events()

    contract = Contract.objects.get(pk=contract.pk)
    assert contract.document_version_wanted == version + 2
    assert contract.amount_minor == 3 * 29900
    contract_document_generate(contract=contract)
    contract_deliver(contract=contract)
    contract = Contract.objects.get(pk=contract.pk)
    assert (contract.state, contract.delivered_version) == (ContractState.SENT, version + 2)
    amended = AuditEntry.objects.filter(action="contract.amended", object_id=str(contract.pk))
    assert amended.count() == 2
