"""The first-time buyer's pages at desktop (1280 px) and phone (390 px) widths: each names the
plan being bought, nothing is wider than the screen, and a screenshot of each goes to
var/screenshots/buyer-<width>-<page>.png for a person to look at."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_purchase_journey import (
    add_card,
    fill_profile,
    open_from_buy_page,
    sign_up_and_verify,
)
from tests.factories import plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDER_THAN_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('main *')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .map(el => el.tagName.toLowerCase() + '.' + el.className);
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_every_buyer_page_names_the_plan_and_fits_the_screen(
    playwright_browser, live_server, smtp_mail, settings, width
):
    settings.SITE_URL = live_server.url
    plan_with_prices()
    context = playwright_browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflowing = {}

    def shoot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"buyer-{width}-{name}.png"), full_page=True)
        wide = page.evaluate(WIDER_THAN_VIEWPORT)
        if wide:
            overflowing[name] = wide

    try:
        sign_up_and_verify(
            page, smtp_mail, live_server, f"screens{width}@example.com", "Quarterly", shoot
        )
        page.get_by_role("button", name="Confirm purchase").wait_for()
        shoot("buy-disabled")
        fill_profile(page, cycle="Quarterly", shoot=shoot)
        open_from_buy_page(page, "Add a card", "/account/card/", "billed quarterly")
        shoot("card")
        add_card(page, "4242 4242 4242 4242")
        page.wait_for_url(re.compile(r"/buy/business-care/\?cycle=quarterly"))
        expect(page.get_by_role("button", name="Confirm purchase")).to_be_enabled()
        shoot("buy-ready")
    finally:
        context.close()
    assert overflowing == {}, f"wider than {width} px: {overflowing}"
