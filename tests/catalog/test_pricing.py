import pytest

from onboarding.catalog.models import Plan
from tests.factories import UserFactory, complete_profile, plan_with_prices

pytestmark = pytest.mark.django_db

# The demo's shape: each cycle priced in EUR, USD and GBP on its own.
OTHER_CURRENCIES = {"USD": (10900, 30900, 109000), "GBP": (8500, 23900, 85000)}


def _page(client, query: str = "") -> str:
    return client.get(f"/pricing/{query}").content.decode()


def test_the_pricing_page_shows_each_plan_at_the_chosen_cycle(client):
    plan_with_prices()
    response = client.get("/pricing/?cycle=monthly")
    assert response.status_code == 200
    assert "€99.00" in response.content.decode()
    assert b"/buy/business-care/?cycle=monthly&amp;currency=EUR" in response.content


def test_an_unknown_cycle_falls_back_to_annual(client):
    plan_with_prices()
    assert "€990.00" in _page(client, "?cycle=weekly")


def test_plans_off_sale_are_not_listed(client):
    plan = plan_with_prices()
    plan.is_active = False
    plan.save()
    assert b"Business Care" not in client.get("/pricing/").content
    assert client.get(f"/api/v1/catalog/plans/{plan.slug}").status_code == 404


def test_each_price_says_what_period_it_pays_for_without_tax(client):
    plan_with_prices()
    page = _page(client, "?cycle=quarterly")
    assert '€279.00</strong> <span class="muted">a quarter without tax' in page
    assert "/ quarterly" not in page


def test_the_currency_switch_shows_the_prices_in_that_currency(client):
    plan_with_prices(also_in=OTHER_CURRENCIES)
    page = _page(client, "?cycle=annual&currency=gbp")
    assert "£850.00" in page
    assert "€990.00" not in page
    assert "currency=GBP" in page  # the buy link and the cycle tabs keep it


def test_an_unknown_currency_falls_back_to_the_default(client):
    plan_with_prices(also_in=OTHER_CURRENCIES)
    response = client.get("/pricing/?currency=XYZ")
    assert response.status_code == 200
    assert "€990.00" in response.content.decode()


def test_a_plan_without_a_price_in_the_currency_says_so(client):
    plan_with_prices(also_in=OTHER_CURRENCIES)
    plan_with_prices("euro-only")
    page = _page(client, "?currency=USD")
    assert "$1,090.00" in page
    assert "Not sold with annual billing in USD" in page


def test_a_visitor_who_chooses_a_country_sees_the_price_with_its_vat(client):
    plan_with_prices()
    page = _page(client, "?cycle=monthly&country=de")
    # Germany's 19%, written the way English is written in Germany (en_DE).
    assert "99,00\xa0€" in page
    assert "117,81\xa0€" in page
    assert "VAT 19%" in page


def test_an_unknown_country_is_a_field_error_and_prices_stay_net(client):
    plan_with_prices()
    response = client.get("/pricing/?country=ZZ")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose a country from the list." in page
    assert "€990.00" in page
    assert "price-gross" not in page


def test_a_signed_in_customer_sees_their_currency_and_their_countrys_tax(client):
    plan_with_prices(also_in=OTHER_CURRENCIES)
    user = UserFactory()
    complete_profile(user.customer)  # Bristol, GB: 20%
    user.customer.currency = "GBP"
    user.customer.save()
    client.force_login(user)
    page = _page(client, "?cycle=annual&currency=USD&country=DE")
    assert "Prices in GBP, your account's currency." in page
    assert "£850.00" in page and "£1,020.00" in page
    assert "$" not in page.split("<main", 1)[1]


def test_a_business_elsewhere_in_the_eu_sees_the_reverse_charge(client, settings):
    settings.BILLING_SELLER_COUNTRY = "IE"
    plan_with_prices()
    user = UserFactory()
    complete_profile(user.customer, country="DE", vat_number="DE136695976")
    client.force_login(user)
    page = _page(client, "?cycle=annual")
    assert "VAT 0% (reverse charge)" in page
    assert "Reverse charge: you account for the VAT in your country." in page


def test_the_catalog_api_gives_prices_in_a_currency_and_gross_for_a_country(client):
    plan_with_prices(also_in=OTHER_CURRENCIES)
    response = client.get("/api/v1/catalog/plans?currency=USD&country=GB")
    assert response.status_code == 200
    plan = response.json()[0]
    assert plan["currencies"] == ["EUR", "USD", "GBP"]
    assert plan["tax"]["rate_bp"] == 2000
    prices = {p["cycle"]: p for p in plan["prices"]}
    assert prices["annual"]["amount"]["currency"] == "USD"
    assert prices["annual"]["gross"]["amount_minor"] == 130800
    assert prices["annual"]["gross_minor"] == 130800  # deprecated, kept


def test_the_catalog_api_without_a_country_gives_net_prices_in_euros(client):
    plan_with_prices(also_in=OTHER_CURRENCIES)
    plan = client.get("/api/v1/catalog/plans").json()[0]
    assert plan["currency"] == "EUR" and plan["tax"] is None
    assert [p["amount"]["amount_minor"] for p in plan["prices"]] == [9900, 27900, 99000]
    assert all(p["gross"] is None for p in plan["prices"])


@pytest.mark.parametrize(
    ("query", "field"), [("currency=XYZ", "currency"), ("country=ZZ", "country")]
)
def test_the_catalog_api_refuses_an_unknown_currency_or_country(client, query, field):
    plan_with_prices()
    response = client.get(f"/api/v1/catalog/plans?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_a_plan_lists_its_currencies_default_first():
    plan = plan_with_prices(also_in={"GBP": (1, 2, 3), "USD": (1, 2, 3)})
    plan = Plan.objects.prefetch_related("prices").get(pk=plan.pk)
    assert plan.currencies == ["EUR", "USD", "GBP"]
    assert [p.amount.currency for p in plan.prices_in("GBP")] == ["GBP"] * 3
