"""The buy page: each cycle offered once, in one order, with its price and saving; the confirm
button disabled, with the reason beside it, until the billing address and the card are there."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.selectors import plan_cycle_offers
from onboarding.core.money import Money
from onboarding.tax.selectors import TaxDecision
from tests.factories import complete_profile, plan_with_prices

pytestmark = pytest.mark.django_db
YEAR = str(timezone.now().year + 2)
UK_VAT = TaxDecision(rate_bp=2000, country="GB")


@pytest.fixture
def plan():
    return plan_with_prices()


def confirm_row(html: str) -> str:
    start = html.index('<div class="confirm-row">')
    return html[start : html.index("</form>", start)]


def add_card(client) -> None:
    client.post(
        reverse("payments:card"),
        {"number": "4242424242424242", "exp_month": "1", "exp_year": YEAR, "cvc": "123"},
    )


def test_each_cycle_is_offered_once_in_calendar_order_with_net_tax_total_and_saving(plan):
    offers = plan_cycle_offers(plan=plan, currency="EUR", tax=UK_VAT)
    assert [o.cycle for o in offers] == ["monthly", "quarterly", "annual"]
    monthly, quarterly, annual = offers
    assert (monthly.net, monthly.tax, monthly.gross) == (
        Money(9900, "EUR"),
        Money(1980, "EUR"),
        Money(11880, "EUR"),
    )
    assert monthly.saving is None and monthly.saving_percent is None
    # 3 x 118.80 = 356.40 against 334.80; 12 x 118.80 = 1,425.60 against 1,188.00.
    assert (quarterly.saving, quarterly.saving_percent) == (Money(2160, "EUR"), 6)
    assert (annual.saving, annual.saving_percent) == (Money(23760, "EUR"), 16)


def test_a_longer_cycle_that_costs_more_than_monthly_claims_no_saving():
    plan = plan_with_prices("odd", monthly=1000, quarterly=3300, annual=None)
    assert [
        (o.cycle, o.saving) for o in plan_cycle_offers(plan=plan, currency="EUR", tax=UK_VAT)
    ] == [
        ("monthly", None),
        ("quarterly", None),
    ]


def test_without_a_monthly_price_no_saving_is_invented():
    plan = plan_with_prices("no-monthly", monthly=None)
    assert [o.saving for o in plan_cycle_offers(plan=plan, currency="EUR", tax=UK_VAT)] == [
        None,
        None,
    ]


def test_the_buy_page_shows_each_cycle_once_as_a_choice_carrying_its_price(
    customer_client, customer, plan
):
    complete_profile(customer.customer)  # in the UK: 20% VAT
    html = customer_client.get(reverse("billing:buy", args=[plan.slug])).content.decode()
    assert re.findall(r'name="cycle" value="(\w+)"', html) == ["monthly", "quarterly", "annual"]
    assert html.count('class="cycle-offer"') == 3
    assert '<table class="prices">' not in html
    annual = html[html.index('data-cycle="annual"') :]
    annual = annual[: annual.index("</label>")]
    assert "€1,188.00" in annual and "€990.00 + €198.00 tax" in annual
    assert "Save €237.60 (16%) against monthly" in annual


def test_the_buy_page_taxes_the_offers_by_the_buyers_country(customer_client, customer, plan):
    complete_profile(customer.customer, country="FR", vat_number="FR40303265045")
    html = customer_client.get(reverse("billing:buy", args=[plan.slug])).content.decode()
    assert "VAT 0% (reverse charge) for your billing country" in html
    annual = html[html.index('data-cycle="annual"') :]
    assert "990,00\xa0€ + 0,00\xa0€ tax" in annual[: annual.index("</label>")]  # en_FR


def test_confirm_is_disabled_and_says_both_address_and_card_are_missing(customer_client, plan):
    row = confirm_row(
        customer_client.get(reverse("billing:buy", args=[plan.slug])).content.decode()
    )
    assert re.search(r"<button[^>]*disabled[^>]*>Confirm purchase", row)
    assert "Add your billing address and a card to confirm." in row


def test_confirm_says_only_the_card_is_missing_once_the_address_is_there(
    customer_client, customer, plan
):
    complete_profile(customer.customer)
    row = confirm_row(
        customer_client.get(reverse("billing:buy", args=[plan.slug])).content.decode()
    )
    assert re.search(r'<button[^>]*disabled[^>]*aria-describedby="confirm-blocked"', row)
    assert "Add a card to confirm." in row and "billing address" not in row


def test_confirm_says_only_the_address_is_missing_once_the_card_is_there(customer_client, plan):
    add_card(customer_client)
    row = confirm_row(
        customer_client.get(reverse("billing:buy", args=[plan.slug])).content.decode()
    )
    assert "Add your billing address to confirm." in row


def test_confirm_is_enabled_with_no_reason_when_everything_is_there(
    customer_client, customer, plan
):
    complete_profile(customer.customer)
    add_card(customer_client)
    row = confirm_row(
        customer_client.get(reverse("billing:buy", args=[plan.slug])).content.decode()
    )
    assert "disabled" not in row and "to confirm" not in row


def test_disabled_buttons_look_disabled_in_the_stylesheet():
    with open(finders.find("css/app.css"), encoding="utf-8") as stylesheet:
        css = stylesheet.read()
    rule = re.search(r"button:disabled[^{]*\{[^}]*cursor: not-allowed", css)
    assert rule, "a disabled button keeps the pointer cursor"


def test_an_unknown_plan_is_a_404_for_visitors_and_customers(client, customer_client, plan):
    assert client.get("/buy/no-such-plan/?cycle=annual").status_code == 404
    assert customer_client.get("/buy/no-such-plan/").status_code == 404


def test_a_staff_member_cannot_buy(sysops_client, plan):
    assert sysops_client.get(reverse("billing:buy", args=[plan.slug])).status_code == 404
