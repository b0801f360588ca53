"""/pricing/ on a 390 px phone: the currency and country choosers fit, and choosing them shows
the prices in that currency, net and with the country's VAT."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_width import OVERFLOWING, PHONE
from tests.factories import plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_phone_visitor_chooses_pounds_and_germany_and_sees_net_and_gross(page, screenshot):
    plan_with_prices(also_in={"USD": (10900, 30900, 109000), "GBP": (8500, 23900, 85000)})
    page.set_viewport_size(PHONE)
    page.goto("/pricing/?cycle=monthly")
    page.select_option("#id_currency", "GBP")
    page.select_option("#id_country", "DE")
    page.get_by_role("button", name="Show prices").click()
    page.wait_for_url("**country=DE**")

    card = page.locator("article.plan").first
    assert "85,00\xa0£" in card.inner_text()  # net, as English is written in Germany
    assert "101,15\xa0£" in card.inner_text()  # with VAT 19%
    assert "VAT 19%" in card.inner_text()
    assert page.evaluate(OVERFLOWING) == []
    # The cycle tabs keep the choices.
    page.get_by_role("link", name="Annual").click()
    expect(page.locator("article.plan").first).to_contain_text("850,00\xa0£")
    screenshot("pricing-phone-gbp-de")
