"""A subscription whose period began without an invoice: an admin is alerted and it is invoiced."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.billing.missing import invoices_missing_reconcile
from onboarding.billing.models import Invoice, Subscription
from tests.billing.conftest import buy, ready_customer

pytestmark = pytest.mark.django_db


def began(subscription: Subscription, ago: timedelta) -> None:
    moment = timezone.now() - ago
    Subscription.objects.filter(pk=subscription.pk).update(
        billing_anchor=moment, next_invoice_at=moment
    )


def test_a_period_begun_hours_ago_without_an_invoice_raises_missing_invoice_and_is_invoiced(
    plan, customer
):
    subscription = buy(ready_customer(customer), plan)
    began(subscription, timedelta(hours=5))

    assert invoices_missing_reconcile() == 1

    alert = AdminAlert.objects.get(reason="missing_invoice")
    assert alert.object_id == str(subscription.pk)
    assert Invoice.objects.filter(subscription=subscription).count() == 1


def test_a_period_begun_within_the_grace_time_is_left_to_the_bill_run(plan, customer):
    subscription = buy(ready_customer(customer), plan)
    began(subscription, timedelta(minutes=10))

    assert invoices_missing_reconcile() == 0
    assert not AdminAlert.objects.exists()
    assert not Invoice.objects.exists()


def test_many_missing_invoices_make_one_alert_with_the_count(plan, settings):
    settings.BILLING_MISSING_INVOICE_GRACE_MINUTES = 60
    for _ in range(21):
        began(buy(ready_customer(), plan), timedelta(hours=3))

    assert invoices_missing_reconcile() == 21

    [alert] = AdminAlert.objects.filter(reason="missing_invoice")
    assert alert.context["count"] == 21
    assert Invoice.objects.count() == 21
