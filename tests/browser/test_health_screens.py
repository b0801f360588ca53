"""The health score in Debian's chromium, at a desk (1280x900) and on a phone (375x812): at the
top of the customer view, in the search results, and on the managers' queue with its chart.
Nothing scrolls sideways on the phone. Screenshots: var/screenshots/health-<page>-<width>.png."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.fitting import fits_the_screen
from tests.browser.sessions import signed_in_context
from tests.factories import plan_with_prices, staff_user
from tests.health.shown import a_customer, counted, scored
from tests.sysops.conftest import rich_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A narrower phone than fitting.SIZES' 390 px: these pages have fitted 375 px since they were made.
WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}


@pytest.fixture
def world():
    engineer = staff_user()
    manager = staff_user("manager")
    northwind = rich_customer(plan_with_prices(), engineer).customer
    scored(
        northwind,
        costs={"payment": 30, "acceptance": 14, "service": 20, "card": 10, "engagement": 3},
        trend=-18,
        history=[(170, 92), (120, 85), (75, 71), (40, 55), (12, 38)],
    )
    others = [
        ("Northwind Logistics", {"contract": 15}, 4),
        ("Northwind Retail", {"payment": 30, "service": 15}, -7),
        ("Contoso Pharma", {"acceptance": 20, "payment": 20, "service": 20, "card": 10}, -25),
        ("Fabrikam Labs", {}, 0),
        ("Tailspin Toys", {"engagement": 5, "card": 10}, 2),
    ]
    for company, costs, trend in others:
        scored(a_customer(company), costs=costs, trend=trend, history=[(50, 80)])
    a_customer("Northwind Startup")  # not scored yet
    counted()  # the worker's count of the queue's chart (onboarding/health/counts.py)
    return {"engineer": engineer, "manager": manager, "northwind": northwind}


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"health-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_customer_view_shows_the_score_on_top(playwright_browser, live_server, world, width):
    w, h = WIDTHS[width]
    context = signed_in_context(
        playwright_browser, live_server, world["engineer"], width=w, height=h
    )
    page = context.new_page()
    try:
        page.goto(reverse("sysops:customer", args=[world["northwind"].pk]))
        card = page.locator("#health")
        expect(card.locator(".hc-number")).to_have_text("23")
        expect(card.locator("[data-band-badge]")).to_have_text("Red")
        expect(card.locator(".trend")).to_contain_text("down 18 points")
        expect(card.locator("li[data-factor]")).to_have_count(3)
        expect(card.locator("svg.sparkline")).to_be_visible()
        # On top: above the risks, and within the first screen.
        assert card.bounding_box()["y"] < page.locator(".risks").bounding_box()["y"]
        assert card.locator(".hc-number").bounding_box()["y"] < h
        fits_the_screen(page)
        _shot(page, f"customer-view-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_search_results_show_each_score(playwright_browser, live_server, world, width):
    w, h = WIDTHS[width]
    context = signed_in_context(
        playwright_browser, live_server, world["engineer"], width=w, height=h
    )
    page = context.new_page()
    try:
        page.goto(reverse("sysops:customer_search") + "?q=northwind")
        row = page.locator(f'tr[data-customer="{world["northwind"].pk}"]')
        expect(row.locator('[data-health-score="23"]')).to_be_visible()
        expect(row.locator(".sr-score .badge.red")).to_have_text("Red")
        expect(page.locator('.sr-score [data-health-score="none"]')).to_have_count(1)
        fits_the_screen(page)
        _shot(page, f"search-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_managers_queue_ranks_and_filters(playwright_browser, live_server, world, width):
    w, h = WIDTHS[width]
    context = signed_in_context(
        playwright_browser, live_server, world["manager"], width=w, height=h
    )
    page = context.new_page()
    try:
        page.goto(reverse("health:queue"))
        rows = page.locator("#health-queue tbody tr[data-customer]")
        expect(rows).to_have_count(6)
        expect(rows.first.locator("[data-health-score]")).to_have_attribute(
            "data-health-score", "23"
        )
        expect(page.locator("svg.band-bars")).to_be_visible()
        expect(page.locator("svg.score-columns")).to_be_visible()
        fits_the_screen(page)
        _shot(page, f"queue-{width}")
        page.select_option("#f-band", "green")
        page.get_by_role("button", name="Show").click()
        expect(rows).to_have_count(3)
        expect(page.locator('#health-queue [data-band="red"]')).to_have_count(0)
        fits_the_screen(page)
        rows.first.get_by_role("link").click()
        expect(page.locator("#health .hc-number")).to_be_visible()
    finally:
        context.close()
