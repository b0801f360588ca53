"""A longer billing cycle from now, prorated, as the customer may choose; the cycle change at
the period's end stays the default."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.cycle_changes import (
    cycle_change_now_preview,
    subscription_change_cycle_now,
)
from onboarding.billing.models import InvoiceStatus, PlanChangeStatus, Subscription
from onboarding.billing.periods import add_months
from onboarding.billing.plan_changes import PlanChangeRefused
from onboarding.billing.services import subscription_change_cycle
from tests.billing.conftest import bought, invoices_of, ready_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(plan) -> Subscription:
    anchor = (timezone.now() - timedelta(days=8)).replace(microsecond=0)
    subscription = bought(ready_customer(), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    return subscription


def test_an_annual_cycle_now_stretches_the_period_and_charges_the_rest_of_the_year(active):
    start = active.current_period_start

    outcome = subscription_change_cycle_now(
        subscription=active, cycle="annual", actor=active.customer.user
    )

    assert outcome.change.status == PlanChangeStatus.APPLIED
    assert outcome.invoice.status == InvoiceStatus.PAID
    active.refresh_from_db()
    year_end = add_months(start, 12)
    assert (active.cycle, active.amount_minor, active.pending_cycle) == ("annual", 99000, "")
    assert active.current_period_end == active.next_invoice_at == year_end
    credit, charge = outcome.invoice.lines.order_by("position")
    assert credit.period_end == add_months(start, 1) and charge.period_end == year_end
    assert 0 < -credit.amount_minor < 9900
    assert 0 < charge.amount_minor < 99000
    # The next invoice is the next annual period, from the anchor.
    bill_run_execute(run_date=year_end.date())
    renewal = invoices_of(active)[-1]
    assert (renewal.period_start, renewal.subtotal_minor) == (year_end, 99000)


def test_the_default_cycle_change_still_waits_for_the_period_end(active):
    subscription_change_cycle(subscription=active, cycle="annual", actor=active.customer.user)

    active.refresh_from_db()
    assert (active.cycle, active.pending_cycle) == ("monthly", "annual")


def test_a_shorter_cycle_cannot_start_now(active):
    Subscription.objects.filter(pk=active.pk).update(cycle="annual", amount_minor=99000)
    active.refresh_from_db()
    with pytest.raises(PlanChangeRefused) as refused:
        cycle_change_now_preview(subscription=active, cycle="monthly")
    assert refused.value.field == "cycle"


def test_the_api_previews_then_starts_the_cycle_now(active):
    client = Client()
    client.force_login(active.customer.user)
    base = f"/api/v1/me/subscriptions/{active.pk}/cycle/now"

    preview = client.post(f"{base}/preview", {"cycle": "quarterly"}, "application/json")
    assert preview.status_code == 200 and preview.json()["when"] == "now"
    assert len(preview.json()["lines"]) == 2

    done = client.post(base, {"cycle": "quarterly"}, "application/json")
    assert done.status_code == 200, done.content
    assert done.json()["subscription"]["cycle"] == "quarterly"

    refused = client.post(base, {"cycle": "monthly"}, "application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "cycle"


def test_the_page_previews_and_confirms_a_cycle_now(active):
    client = Client()
    client.force_login(active.customer.user)
    url = reverse("billing:plan_change", args=[active.pk])

    page = client.get(url, {"cycle": "annual"}).content.decode()
    assert 'data-preview="now"' in page and 'name="cycle" value="annual"' in page

    client.post(url, {"cycle": "annual"})
    active.refresh_from_db()
    assert active.cycle == "annual"
