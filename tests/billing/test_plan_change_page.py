"""The plan-change page speaks the customer's money (Babel, their country), and a buy page for
another plan of a product the customer already has steers them to a plan change instead."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.plan_changes import subscription_change_plan
from onboarding.catalog.models import Plan
from tests.billing.conftest import bought, ready_customer
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def active(customer):
    """A GB customer's monthly Business Care (99.00 EUR a month), paid for ten days ago."""
    plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    subscription = bought(ready_customer(customer), plan_with_prices(), anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    return subscription


def test_the_page_shows_prices_in_the_customers_own_format(customer_client, active):
    url = reverse("billing:plan_change", args=[active.pk])
    page = text_of(customer_client.get(url))
    assert "€99.00 a month before tax" in page
    assert "99.00 EUR" not in page

    preview = text_of(customer_client.get(url, {"plan": "enterprise-care", "quantity": 1}))
    charged = re.search(r"Confirm and pay (€[\d,.]+)", preview)
    assert charged, preview
    assert "EUR" not in preview.split('id="preview"')[1]


def test_buying_another_plan_of_the_same_product_offers_the_plan_change(customer_client, active):
    page = customer_client.get(reverse("billing:buy", args=["enterprise-care"]))
    html = page.content.decode()
    assert "data-same-product" in html
    link = reverse("billing:plan_change", args=[active.pk]) + "?plan=enterprise-care&amp;quantity=1"
    assert f'href="{link}"' in html

    # The plan it has: no such offer, the page says it is owned.
    owned = customer_client.get(reverse("billing:buy", args=["business-care"]))
    assert "data-same-product" not in owned.content.decode()


def test_the_invoice_list_says_what_each_invoice_billed_as_issued(customer_client, active):
    enterprise = Plan.objects.get(slug="enterprise-care")
    subscription_change_plan(
        subscription=active, plan=enterprise, quantity=1, actor=active.customer.user
    )
    rows = re.findall(
        r'<td data-label="For">([^<]*)</td>',
        customer_client.get(reverse("billing:invoices")).content.decode(),
    )
    # Newest first: the upgrade, then the first invoice still for the plan it billed.
    assert rows[0] == "Helpdesk Suite · Enterprise Care: plan change"
    assert rows[1].startswith("Helpdesk Suite · Business Care")


def test_an_upgrade_preview_says_it_replaces_the_scheduled_change(customer_client, active):
    url = reverse("billing:plan_change", args=[active.pk])
    active.pending_quantity = 1
    essential = plan_with_prices("essential-care", monthly=4900)
    active.pending_plan = essential
    active.save(update_fields=["pending_plan", "pending_quantity"])

    preview = text_of(customer_client.get(url, {"plan": "enterprise-care", "quantity": 1}))
    assert "This change replaces the one scheduled for the next period (1 seat)" in preview
    assert "Confirm and pay €" in preview


def test_staff_confirm_with_the_customers_card_named(sysops_client, active):
    url = reverse("billing:staff_plan_change", args=[active.pk])
    preview = text_of(sysops_client.get(url, {"plan": "enterprise-care", "quantity": 1}))
    assert "Confirm and charge the customer's card €" in preview
