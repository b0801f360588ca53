import pytest

from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db


def test_the_pricing_page_shows_each_plan_at_the_chosen_cycle(client):
    plan_with_prices()
    response = client.get("/pricing/?cycle=monthly")
    assert response.status_code == 200
    assert b"99.00 EUR" in response.content
    assert b"/buy/business-care/?cycle=monthly" in response.content


def test_an_unknown_cycle_falls_back_to_annual(client):
    plan_with_prices()
    response = client.get("/pricing/?cycle=weekly")
    assert b"990.00 EUR" in response.content


def test_plans_off_sale_are_not_listed(client):
    plan = plan_with_prices()
    plan.is_active = False
    plan.save()
    assert b"Business Care" not in client.get("/pricing/").content
    assert client.get(f"/api/v1/catalog/plans/{plan.slug}").status_code == 404


def test_the_catalog_api_is_public_and_gives_prices_with_tax(client):
    plan_with_prices()
    response = client.get("/api/v1/catalog/plans")
    assert response.status_code == 200
    prices = {p["cycle"]: p for p in response.json()[0]["prices"]}
    assert prices["annual"]["gross_minor"] == 118800


def test_each_price_says_what_period_it_pays_for(client):
    plan_with_prices()
    page = client.get("/pricing/?cycle=quarterly").content.decode()
    assert '279.00 EUR</strong> <span class="muted">a quarter + 20% tax' in page
    assert "/ quarterly" not in page
