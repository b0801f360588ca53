"""The billing cycle is offered in one order everywhere (monthly, quarterly, annual), and a
change says the day it takes effect."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from onboarding.billing.models import Subscription
from onboarding.billing.selectors import subscriptions_of
from onboarding.catalog.selectors import plan_list_on_sale
from tests.billing.conftest import buy, ready_customer

pytestmark = pytest.mark.django_db
ORDER = ["monthly", "quarterly", "annual"]


def test_the_plans_on_sale_list_their_prices_monthly_quarterly_annual(plan):
    (on_sale,) = plan_list_on_sale()
    assert [price.cycle for price in on_sale.prices.all()] == ORDER


def test_the_account_pages_cycle_dropdown_is_in_the_pricing_pages_order(
    customer, customer_client, plan
):
    subscription = buy(ready_customer(customer), plan, "annual")
    page = customer_client.get(reverse("accounts:home")).content.decode()
    select = page.split(f'id="cycle-{subscription.pk}"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="(\w+)"', select) == ORDER
    pricing = customer_client.get(reverse("catalog:pricing")).content.decode()
    tabs = pricing.split('aria-label="Billing cycle"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="\?cycle=(\w+)[&"]', tabs) == ORDER


def test_a_plan_no_longer_on_sale_lists_its_prices_in_the_same_order(customer, plan):
    buy(ready_customer(customer), plan, "annual")
    plan.is_active = False
    plan.save()  # off sale: read from the database, not the catalogue snapshot
    assert plan_list_on_sale() == []
    subscription = subscriptions_of(customer=customer.customer)[0]
    assert [price.cycle for price in subscription.plan.prices.all()] == ORDER


def test_changing_the_cycle_says_on_which_day_the_new_cycle_starts(customer, customer_client, plan):
    subscription = buy(ready_customer(customer), plan, "annual")
    response = customer_client.post(
        reverse("billing:change_cycle", args=[subscription.pk]), {"cycle": "monthly"}
    )
    subscription = Subscription.objects.get(pk=subscription.pk)
    day = date_format(timezone.localtime(subscription.next_invoice_at), "j F Y")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Your billing cycle changes to monthly on {day}, when the next period starts."
    ]
    # The account page says the same day beside the plan, as long as the change waits.
    page = customer_client.get(reverse("accounts:home")).content.decode()
    assert f"changes to monthly on {day}, when the next period starts" in page
