"""Currencies: a customer's currency is chosen at the first purchase and fixed after; prices are
looked up in it (the purchase, the bill run's cycle change); reports total per currency."""

from datetime import date

import pytest
from django.urls import reverse

from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import BillRunProgress, bill_run_execute
from onboarding.billing.models import Invoice, InvoiceStatus, Subscription
from onboarding.billing.selectors import invoice_totals_by_currency
from onboarding.billing.services import subscription_purchase
from onboarding.catalog.selectors import CurrencyNotSold
from onboarding.core.money import Money
from tests.billing.conftest import bought, invoices_of, ready_customer, utc
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db

USD_GBP = {"USD": (10900, 30900, 109000), "GBP": (8500, 23900, 85000)}


@pytest.fixture
def plan():
    return plan_with_prices(also_in=USD_GBP)


def test_a_first_purchase_in_a_currency_fixes_the_customers_currency(plan):
    customer = ready_customer()
    subscription = subscription_purchase(
        customer=customer, plan=plan, cycle="annual", currency="usd", actor=customer.user
    )
    assert (subscription.currency, subscription.amount_minor) == ("USD", 109000)
    customer.refresh_from_db()
    assert customer.currency == "USD"
    entry = AuditEntry.objects.get(action="customer.currency_fixed")
    assert entry.changes == {"currency": ["", "USD"]}


def test_a_first_purchase_without_a_choice_is_in_euros(plan):
    customer = ready_customer()
    subscription = subscription_purchase(
        customer=customer, plan=plan, cycle="monthly", actor=customer.user
    )
    customer.refresh_from_db()
    assert (subscription.currency, subscription.amount_minor, customer.currency) == (
        "EUR",
        9900,
        "EUR",
    )


def test_a_returning_customer_buys_in_their_own_currency(plan):
    customer = ready_customer()
    subscription_purchase(
        customer=customer, plan=plan, cycle="annual", currency="GBP", actor=customer.user
    )
    other = plan_with_prices("second-plan", also_in=USD_GBP)
    second = subscription_purchase(
        customer=customer, plan=other, cycle="monthly", actor=customer.user
    )
    assert (second.currency, second.amount_minor) == ("GBP", 8500)


def test_a_returning_customer_cannot_switch_currency_and_nothing_is_bought(plan):
    customer = ready_customer()
    subscription_purchase(
        customer=customer, plan=plan, cycle="annual", currency="GBP", actor=customer.user
    )
    other = plan_with_prices("second-plan", also_in=USD_GBP)
    with pytest.raises(CurrencyNotSold) as refused:
        subscription_purchase(
            customer=customer, plan=other, cycle="monthly", currency="USD", actor=customer.user
        )
    assert refused.value.field == "currency" and "GBP" in refused.value.message
    assert Subscription.objects.filter(plan=other).count() == 0


def test_a_plan_without_a_price_in_the_currency_is_a_422_on_currency_and_nothing_changes(
    customer_client, customer, plan
):
    ready_customer(customer)
    euro_only = plan_with_prices("euro-only")
    response = customer_client.post(
        "/api/v1/me/subscriptions",
        {"plan": euro_only.slug, "cycle": "annual", "currency": "GBP"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "currency"
    assert body["detail"] == ("Euro Only has no annual price in GBP; it is sold in EUR.")
    customer.customer.refresh_from_db()
    assert customer.customer.currency == ""
    assert not Subscription.objects.exists()


def test_an_unknown_currency_is_a_422_on_currency(customer_client, customer, plan):
    ready_customer(customer)
    response = customer_client.post(
        "/api/v1/me/subscriptions",
        {"plan": plan.slug, "cycle": "annual", "currency": "XYZ"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["field"]) == (422, "currency")
    assert not Subscription.objects.exists()


def test_the_api_buys_in_the_chosen_currency(customer_client, customer, plan):
    ready_customer(customer)
    response = customer_client.post(
        "/api/v1/me/subscriptions",
        {"plan": plan.slug, "cycle": "quarterly", "currency": "GBP"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["amount"]["amount_minor"] == 23900
    assert response.json()["currency"] == "GBP"


def test_a_first_time_buyer_picks_the_currency_on_the_buy_page(customer_client, customer, plan):
    ready_customer(customer)
    url = reverse("billing:buy", args=[plan.slug])
    page = customer_client.get(url, {"currency": "GBP", "cycle": "annual"}).content.decode()
    assert 'class="currency-switch"' in page and 'aria-current="true" class="current">GBP' in page
    assert "£1,020.00" in page  # 850.00 + 20% UK VAT, as en_GB writes it
    response = customer_client.post(url + "?currency=GBP", {"cycle": "annual", "currency": "GBP"})
    assert response.status_code == 302
    assert Subscription.objects.get().price == Money(85000, "GBP")


def test_a_returning_customer_sees_their_currency_fixed_on_the_buy_page(
    customer_client, customer, plan
):
    ready_customer(customer)
    subscription_purchase(
        customer=customer.customer, plan=plan, cycle="annual", currency="USD", actor=customer
    )
    other = plan_with_prices("second-plan", also_in=USD_GBP)
    page = customer_client.get(
        reverse("billing:buy", args=[other.slug]), {"currency": "GBP"}
    ).content.decode()
    assert "Prices in USD, your account's currency." in page
    assert "currency-switch" not in page
    assert "US$130.80" in page or "$130.80" in page


def test_the_bill_run_changes_cycle_at_the_price_in_the_subscriptions_currency(plan):
    customer = ready_customer()
    subscription = bought(customer, plan, anchor=utc(2030, 2, 15, 10, 0))
    Subscription.objects.filter(pk=subscription.pk).update(currency="GBP", amount_minor=8500)
    bill_run_execute(run_date=date(2030, 2, 15))
    Subscription.objects.filter(pk=subscription.pk).update(pending_cycle="quarterly")

    bill_run_execute(run_date=date(2030, 3, 15))

    invoice = invoices_of(subscription)[-1]
    assert (invoice.currency, invoice.subtotal_minor) == ("GBP", 23900)


def test_the_bill_runs_summary_totals_each_currency_apart():
    progress = BillRunProgress(run_date=date(2030, 1, 1))
    progress.add_invoiced([Money(11880, "EUR"), Money(10200, "GBP"), Money(11880, "EUR")])
    assert progress.invoiced_totals == [Money(23760, "EUR"), Money(10200, "GBP")]
    assert "(237.60 EUR, 102.00 GBP)" in progress.line()


def test_invoice_totals_are_per_currency_never_added_across(sysops_client, plan):
    euro = ready_customer()
    pound = ready_customer()
    subscription_purchase(customer=euro, plan=plan, cycle="monthly", actor=euro.user)
    subscription_purchase(
        customer=pound, plan=plan, cycle="monthly", currency="GBP", actor=pound.user
    )
    bill_run_execute(run_date=date.today())
    Invoice.objects.filter(currency="GBP").update(status=InvoiceStatus.OPEN)

    totals = invoice_totals_by_currency(invoices=Invoice.objects.finalized())

    assert [(t.currency, t.count, t.invoiced, t.paid, t.unpaid) for t in totals] == [
        ("EUR", 1, Money(11880, "EUR"), Money(11880, "EUR"), Money(0, "EUR")),
        ("GBP", 1, Money(10200, "GBP"), Money(0, "GBP"), Money(10200, "GBP")),
    ]
    page = sysops_client.get(reverse("billing:staff_invoices")).content.decode()
    section = page[page.index('id="totals"') :]
    assert 'data-currency="EUR"' in section and "118.80 EUR" in section
    assert 'data-currency="GBP"' in section and "102.00 GBP" in section
