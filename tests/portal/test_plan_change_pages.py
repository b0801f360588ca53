"""The plan-change page: the customer previews, confirms, sees and cancels a scheduled change;
staff do the same from the customer view."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, Subscription
from tests.billing.conftest import bought, ready_customer
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(db) -> Subscription:
    plan = plan_with_prices()
    plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    plan_with_prices("essential-care", monthly=4900)
    anchor = (timezone.now() - timedelta(days=5)).replace(microsecond=0)
    subscription = bought(ready_customer(), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    return subscription


@pytest.fixture
def client_of(active) -> Client:
    client = Client()
    client.force_login(active.customer.user)
    return client


def test_the_account_page_links_to_the_plan_change(client_of, active):
    page = client_of.get(reverse("accounts:home")).content.decode()
    assert reverse("billing:plan_change", args=[active.pk]) in page


def test_the_preview_shows_both_lines_and_the_charge_before_anything_changes(client_of, active):
    url = reverse("billing:plan_change", args=[active.pk])

    page = client_of.get(url, {"plan": "enterprise-care", "quantity": 1})

    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-preview="now"' in text
    assert "Unused time on" in text and "Remaining time on" in text
    assert "Confirm and pay" in text
    active.refresh_from_db()
    assert active.plan.slug == "business-care"
    assert Invoice.objects.filter(subscription=active).count() == 1


def test_confirming_an_upgrade_applies_it_and_says_so(client_of, active):
    url = reverse("billing:plan_change", args=[active.pk])

    response = client_of.post(url, {"plan": "enterprise-care", "quantity": 2}, follow=True)

    active.refresh_from_db()
    assert (active.plan.slug, active.quantity) == ("enterprise-care", 2)
    assert "The plan is now" in response.content.decode()


def test_a_scheduled_downgrade_is_shown_and_can_be_cancelled(client_of, active):
    url = reverse("billing:plan_change", args=[active.pk])
    client_of.post(url, {"plan": "essential-care", "quantity": 1})

    page = client_of.get(url).content.decode()
    assert "data-scheduled-change" in page and "Essential Care" in page
    assert "data-scheduled-change" in client_of.get(reverse("accounts:home")).content.decode()

    client_of.post(reverse("billing:scheduled_change_cancel", args=[active.pk]))

    active.refresh_from_db()
    assert not active.has_scheduled_change


def test_a_refused_change_is_a_field_error_on_the_page(client_of, active):
    url = reverse("billing:plan_change", args=[active.pk])

    page = client_of.post(url, {"plan": "business-care", "quantity": 1})

    assert page.status_code == 422
    assert "already your plan" in page.content.decode()


def test_another_customer_cannot_open_the_page(active):
    stranger = Client()
    stranger.force_login(ready_customer().user)
    assert stranger.get(reverse("billing:plan_change", args=[active.pk])).status_code == 404


def test_staff_change_the_plan_on_the_customers_behalf(sysops_client, sysops, active):
    overview = sysops_client.get(reverse("sysops:customer", args=[active.customer_id]))
    url = reverse("billing:staff_plan_change", args=[active.pk])
    assert url in overview.content.decode()

    sysops_client.post(url, {"plan": "enterprise-care", "quantity": 1})

    active.refresh_from_db()
    assert active.plan.slug == "enterprise-care"
    entry = AuditEntry.objects.get(action="subscription.plan_changed")
    assert entry.actor_id == sysops.pk
