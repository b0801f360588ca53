"""The full customer view in a real browser: the facts an engineer acts on are on the first
screen of a 1280x800 desktop, and the audit timeline is short, with a way to the rest."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import sign_in
from tests.sysops.conftest import rich_customer

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_SCREEN = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FACT_CARDS = ["#contact", "#card", "#contracts", "#products", "#open-requests", ".risks"]
AUDIT_SHOWN = 5


def _content_width(page) -> int:
    """How wide the page's own content is (the site header is the layout's business)."""
    return page.evaluate("document.querySelector('main').scrollWidth")


@pytest.fixture
def customer_page(page, live_server, sysops, plan):
    subscription = rich_customer(plan, sysops)
    sign_in(page.context, live_server, sysops)
    return reverse("sysops:customer", args=[subscription.customer_id]), subscription


def test_the_key_facts_fit_the_first_desktop_screen(page, customer_page, screenshot):
    url, _ = customer_page
    page.set_viewport_size(FIRST_SCREEN)
    page.goto(url)
    bottoms = {}
    for selector in FACT_CARDS:
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        bottoms[selector] = box["y"] + box["height"]
    screenshot("staff-customer-view-desktop")
    page.screenshot(path=str(SCREENSHOTS / "staff-customer-view-desktop-first-screen.png"))
    assert all(bottom <= FIRST_SCREEN["height"] for bottom in bottoms.values()), bottoms


def test_the_audit_timeline_shows_the_newest_entries_and_links_to_the_rest(
    page,
    customer_page,
):
    url, subscription = customer_page
    page.set_viewport_size(FIRST_SCREEN)
    page.goto(url)
    entries = page.locator("#audit .timeline li[data-audit]")
    assert 0 < entries.count() <= AUDIT_SHOWN
    link = page.locator("#audit a[data-link=audit-log]")
    assert f"customer_id={subscription.customer_id}" in link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**/staff/audit/?customer_id={subscription.customer_id}")
    assert page.locator("body").inner_text().count("subscription.purchased") >= 1


def test_history_is_collapsed_until_asked_for(page, customer_page):
    url, _ = customer_page
    page.set_viewport_size(FIRST_SCREEN)
    page.goto(url)
    invoices = page.locator("#invoices")
    assert not invoices.locator("table").is_visible()
    invoices.locator("summary").click()
    expect(invoices.locator("table")).to_be_visible()


def test_the_open_requests_card_leads_to_the_request_history(page, customer_page):
    url, _ = customer_page
    page.set_viewport_size(FIRST_SCREEN)
    page.goto(url)
    page.locator("#open-requests a[href='#requests']").click()
    # overview.js opens the collapsed history on the click: wait for it, do not race it.
    expect(page.locator("#requests table")).to_be_visible()
    expect(page.locator("#requests tbody tr")).to_have_count(14)


def test_on_a_phone_the_view_does_not_scroll_sideways(page, customer_page, screenshot):
    url, _ = customer_page
    page.set_viewport_size(PHONE)
    page.goto(url)
    screenshot("staff-customer-view-phone")
    assert _content_width(page) <= PHONE["width"]


def test_search_results_on_desktop_and_phone(page, customer_page, screenshot):
    search = reverse("sysops:customer_search") + "?q=northwind"
    page.set_viewport_size(FIRST_SCREEN)
    page.goto(search)
    row = page.locator("tr[data-customer]")
    assert row.count() == 1
    assert row.locator("[data-risk=invoice_overdue]").is_visible()
    screenshot("staff-search-desktop")
    page.set_viewport_size(PHONE)
    page.goto(search)
    screenshot("staff-search-phone")
    assert _content_width(page) <= PHONE["width"]
