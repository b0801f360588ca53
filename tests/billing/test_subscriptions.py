"""Changes other apps ask of a subscription (billing.subscriptions): billing writes the row."""

import pytest
from django.db import transaction

from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Subscription, SubscriptionStatus
from onboarding.billing.subscriptions import subscription_stop_at_period_end
from tests.billing.conftest import buy, ready_customer

pytestmark = pytest.mark.django_db


def test_stopping_at_period_end_sets_the_flag_once_and_audits_it(plan):
    customer = ready_customer()
    subscription = buy(customer, plan)
    stopped = subscription_stop_at_period_end(
        subscription=subscription, actor=customer.user, because="contract cancelled"
    )
    assert stopped is True
    assert Subscription.objects.get(pk=subscription.pk).cancel_at_period_end is True
    entry = AuditEntry.objects.get(action="subscription.cancel_at_period_end")
    assert entry.actor_id == customer.user.pk
    assert entry.customer_id == subscription.customer_id
    assert entry.object_id == str(subscription.pk)
    assert entry.changes == {"cancel_at_period_end": [False, True]}
    assert entry.message == "billing stops at the end of the paid period (contract cancelled)"
    again = subscription_stop_at_period_end(
        subscription=subscription, actor=customer.user, because="contract cancelled"
    )
    assert again is False
    assert AuditEntry.objects.filter(action="subscription.cancel_at_period_end").count() == 1


def test_a_cancelled_subscription_is_not_stopped_again(plan):
    subscription = buy(ready_customer(), plan)
    Subscription.objects.filter(pk=subscription.pk).update(status=SubscriptionStatus.CANCELLED)
    assert not subscription_stop_at_period_end(subscription=subscription, actor=None, because="x")
    assert not Subscription.objects.get(pk=subscription.pk).cancel_at_period_end
    assert not AuditEntry.objects.filter(action="subscription.cancel_at_period_end").exists()


def test_the_stop_rolls_back_with_the_callers_transaction(plan):
    subscription = buy(ready_customer(), plan)
    with pytest.raises(RuntimeError), transaction.atomic():
        subscription_stop_at_period_end(subscription=subscription, actor=None, because="x")
        raise RuntimeError("the caller's change failed")
    assert not Subscription.objects.get(pk=subscription.pk).cancel_at_period_end
    assert not AuditEntry.objects.filter(action="subscription.cancel_at_period_end").exists()
