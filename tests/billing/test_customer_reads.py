"""The customer's reads stay cheap: no session write, join or prefetch a page does not need."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.billing.selectors import subscriptions_of
from onboarding.catalog.models import Plan
from tests.billing.conftest import buy, invoices_of, ready_customer, run_tasks
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db


def test_opening_the_buy_page_again_does_not_write_the_session_again(client, plan):
    customer = ready_customer()
    client.force_login(customer.user)
    url = reverse("billing:buy", args=[plan.slug]) + "?cycle=annual"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    writes = [q["sql"] for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert writes == []
    assert client.session["purchase_intent"] == {"plan": plan.slug, "cycle": "annual"}


def test_a_subscription_to_a_plan_no_longer_on_sale_keeps_its_plan_and_prices(plan):
    customer = ready_customer()
    buy(customer, plan)
    on_sale = plan_with_prices("still-sold")
    buy(customer, on_sale)
    Plan.objects.filter(pk=plan.pk).update(is_active=False)
    subscriptions = {s.plan.slug: s for s in subscriptions_of(customer=customer)}
    gone = subscriptions[plan.slug].plan
    assert gone.product.name == "Helpdesk Suite"
    # Cycles in the order people read them (BillingCycle.order()), on sale or not.
    assert [p.cycle for p in gone.prices.all()] == ["monthly", "quarterly", "annual"]
    assert [p.cycle for p in subscriptions["still-sold"].plan.prices.all()] == [
        "monthly",
        "quarterly",
        "annual",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_invoice_api_reads_the_invoice_its_lines_and_credit_notes_only(client, plan):
    customer = ready_customer()
    subscription = buy(customer, plan)
    run_tasks()
    invoice = invoices_of(subscription)[0]
    client.force_login(customer.user)
    url = f"/api/v1/me/invoices/{invoice.pk}"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["number"] == invoice.number
    invoice_reads = [q["sql"] for q in queries if 'FROM "billing_invoice"' in q["sql"]]
    assert len(invoice_reads) == 1
    assert "catalog_plan" not in invoice_reads[0]
    assert "accounts_user" not in invoice_reads[0]
