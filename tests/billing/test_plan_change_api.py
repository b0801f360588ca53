"""The plan-change API: preview, change, cancel a scheduled change; refusals are 422s naming
their field, with nothing changed."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, Subscription
from onboarding.payments.models import SandboxCharge
from tests.billing.conftest import bought, ready_customer
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db

BASE = "/api/v1/me/subscriptions"


@pytest.fixture
def active(plan) -> Subscription:
    anchor = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    subscription = bought(ready_customer(), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    return subscription


@pytest.fixture
def api(active) -> Client:
    client = Client()
    client.force_login(active.customer.user)
    return client


@pytest.fixture
def enterprise(db):
    return plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)


@pytest.fixture
def essential(db):
    return plan_with_prices("essential-care", monthly=4900)


def test_the_preview_answers_the_two_lines_and_the_total_charged_now(api, active, enterprise):
    response = api.post(
        f"{BASE}/{active.pk}/plan-change/preview",
        {"plan": "enterprise-care", "quantity": 1},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["when"] == "now"
    credit, charge = body["lines"]
    assert credit["amount"]["amount_minor"] < 0 < charge["amount"]["amount_minor"]
    assert body["total"]["amount_minor"] == sum(
        line["amount"]["amount_minor"] + line["tax"]["amount_minor"] for line in body["lines"]
    )
    assert Invoice.objects.filter(subscription=active).count() == 1


def test_an_upgrade_through_the_api_is_applied_and_invoiced(api, active, enterprise):
    response = api.post(
        f"{BASE}/{active.pk}/plan-change",
        {"plan": "enterprise-care", "quantity": 2},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "applied" and body["invoice_number"]
    assert (body["subscription"]["plan"], body["subscription"]["quantity"]) == (
        "enterprise-care",
        2,
    )
    assert body["subscription"]["amount"]["amount_minor"] == 2 * 29900


def test_a_downgrade_is_scheduled_and_the_customer_cancels_it(api, active, essential):
    response = api.post(
        f"{BASE}/{active.pk}/plan-change",
        {"plan": "essential-care", "quantity": 1},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "scheduled"
    assert response.json()["subscription"]["pending_plan"] == "essential-care"

    cancelled = api.delete(f"{BASE}/{active.pk}/scheduled-change")

    assert cancelled.status_code == 200
    assert cancelled.json()["pending_plan"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"plan": "business-care", "quantity": 1}, "plan"),  # the same plan and quantity
        ({"plan": "enterprise-care", "quantity": 0}, "quantity"),
        ({"plan": "enterprise-care", "quantity": 11}, "quantity"),  # the plan's maximum is 10
        ({"plan": "annual-only", "quantity": 1}, "plan"),  # not sold monthly
    ],
)
def test_bad_input_is_a_422_naming_its_field_and_changes_nothing(
    api, active, enterprise, payload, field
):
    enterprise.max_quantity = 10
    enterprise.save()
    plan_with_prices("annual-only", monthly=None, quarterly=None, annual=500000)
    charges = SandboxCharge.objects.count()
    before = Subscription.objects.filter(pk=active.pk).values().get()

    response = api.post(f"{BASE}/{active.pk}/plan-change", payload, content_type="application/json")

    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert Subscription.objects.filter(pk=active.pk).values().get() == before
    assert SandboxCharge.objects.count() == charges


def test_cancelling_when_nothing_is_scheduled_is_a_422(api, active):
    response = api.delete(f"{BASE}/{active.pk}/scheduled-change")
    assert response.status_code == 422
    assert response.json()["field"] == "plan"


def test_another_customers_subscription_is_not_found(active, enterprise):
    stranger = Client()
    stranger.force_login(ready_customer().user)
    response = stranger.post(
        f"{BASE}/{active.pk}/plan-change",
        {"plan": "enterprise-care", "quantity": 1},
        content_type="application/json",
    )
    assert response.status_code == 404
