"""Staff pages read on a 390 px phone, and the navigation's counts on an open page (Debian's
chromium).

The invoices page's bill runs and the contract page's documents are cards on a phone (table.stack),
so the page is never wider than the screen and every value shows; a dunning hold on the full
customer view wraps and names its whole request number; the count badges of the staff navigation
follow the worker's counts while the page stays open.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from config.staff_counts import staff_counts_refresh
from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import admin_alert_raise, admin_alert_resolve
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.dunning_holds import request_hold_reason
from onboarding.core.roles import Role
from onboarding.sysops.models import ServiceRequest
from tests.browser.fitting import SIZES, fits_the_screen
from tests.browser.sessions import signed_in_context
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe
from tests.factories import plan_with_prices, staff_user
from tests.sysops.conftest import rich_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = SIZES["-phone"]
DESKTOP = {"width": 1280, "height": 800}

# Whether an element shows whole inside the screen: not cut off by a box that clips or scrolls
# it, and not past the right edge.
WHOLE_ON_SCREEN = """(el) => {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.left < 0 || box.right > window.innerWidth + 0.5) return false;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const outer = p.getBoundingClientRect();
    const style = getComputedStyle(p);
    const clips = ["auto", "scroll", "hidden"].includes(style.overflowX);
    if (clips && (box.left < outer.left - 0.5 || box.right > outer.right + 0.5)) return false;
  }
  return el.scrollWidth <= el.clientWidth + 1;
}"""


# The tab hidden or shown again, as the browser tells a page (a test's tab never hides itself).
TAB_SHOWS = """(state) => {
  Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture(autouse=True)
def _no_stored_counts():
    """Counts stored here must not reach the next test (the console home's "Counting…")."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def engineer():
    return staff_user()


def _shows_whole(locator) -> None:
    expect(locator).to_be_visible()
    assert locator.evaluate(WHOLE_ON_SCREEN), locator.inner_text()


def test_the_bill_runs_are_cards_that_fit_a_phone(playwright_browser, live_server, engineer):
    bill_run_execute(run_date=timezone.localdate())
    context = signed_in_context(playwright_browser, live_server, engineer, **PHONE)
    page = context.new_page()
    try:
        page.goto(reverse("billing:staff_invoices"))
        section = page.locator("section.card", has=page.get_by_role("heading", name="Bill runs"))
        runs = section.locator("table")
        row = runs.locator("tbody tr").first
        fits_the_screen(page)
        # Day, Passes, Invoiced, Paid, Failed, Pending, Cancelled, Finished: every one in view.
        cells = row.locator("td")
        expect(cells).to_have_count(8)
        for index in range(8):
            _shows_whole(cells.nth(index))
        # A card, not a table scrolled sideways: the headings are hidden, the day leads.
        assert runs.locator("thead").evaluate("el => el.getBoundingClientRect().width") <= 1
        assert cells.first.bounding_box()["y"] < cells.last.bounding_box()["y"]
        expect(cells.first).to_have_attribute("data-label", "Day")
    finally:
        context.close()


@pytest.mark.usefixtures("media")
def test_the_contract_documents_are_cards_that_fit_a_phone(
    playwright_browser, live_server, engineer
):
    contract = deliver_inline(subscribe(paying_customer(), plan_with_prices("business-care")))
    document = contract.documents.get()
    context = signed_in_context(playwright_browser, live_server, engineer, **PHONE)
    page = context.new_page()
    try:
        page.goto(reverse("contracts_staff:detail", args=[contract.pk]))
        section = page.locator("section.card", has=page.get_by_role("heading", name="Documents"))
        row = section.locator("table tbody tr").first
        fits_the_screen(page)
        # Version, Stored, Template, SHA-256 (Acknowledged is empty until the customer says so).
        cells = row.locator("td")
        for index in range(4):
            _shows_whole(cells.nth(index))
        sha = cells.nth(3).locator("code")
        _shows_whole(sha)
        assert sha.inner_text().replace("\n", "") == document.sha256
        expect(cells.first).to_have_attribute("data-label", "Version")
    finally:
        context.close()


def test_a_dunning_hold_names_its_whole_request_number_on_a_phone(
    playwright_browser, live_server, engineer
):
    subscription = rich_customer(plan_with_prices(), engineer)
    critical = ServiceRequest.objects.get(customer=subscription.customer, severity="critical")
    reason = request_hold_reason(severity="critical", request_id=critical.pk)
    context = signed_in_context(playwright_browser, live_server, engineer, **PHONE)
    page = context.new_page()
    try:
        page.goto(reverse("sysops:customer", args=[subscription.customer_id]))
        hold = page.locator('[data-hold="request"]', has_text=reason[-10:])
        expect(hold).to_contain_text(reason[0].upper() + reason[1:])
        _shows_whole(hold)
        # Wrapped over more than one line rather than cut off with an ellipsis.
        line = float(hold.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
        assert hold.bounding_box()["height"] > 1.5 * line
        # The request number itself stays on one line, not split at its hyphen.
        number = hold.locator(".doc-number", has_text=critical.reference)
        _shows_whole(number)
        assert number.bounding_box()["height"] < 1.5 * line
        fits_the_screen(page)
    finally:
        context.close()


def test_the_nav_counts_follow_the_worker_on_an_open_page(
    playwright_browser, live_server, engineer, settings
):
    settings.STAFF_NAV_COUNTS_POLL_SECONDS = 1
    subscription = rich_customer(plan_with_prices(), engineer)
    first = staff_counts_refresh()
    assert first is not None and first.counts["alerts"] >= 1
    context = signed_in_context(playwright_browser, live_server, engineer, **DESKTOP)
    page = context.new_page()
    try:
        page.goto(reverse("contracts_staff:list"))
        alerts = page.locator('.staff-nav [data-nav="alerts"]')
        badge = alerts.locator('[data-count="alerts"]')
        expect(badge).to_have_text(f"{first.counts['alerts']} open")
        # The next alert, counted by the worker while the page stays open.
        admin_alert_raise(
            reason="payment.failed",
            message="The renewal charge failed.",
            target=subscription,
            customer_id=subscription.customer_id,
            severity="warning",
        )
        second = staff_counts_refresh()
        assert second.counts["alerts"] == first.counts["alerts"] + 1
        expect(badge).to_have_text(f"{second.counts['alerts']} open")
        # Every open alert resolved: the badge goes away, the link stays and stays current.
        admin = staff_user(role=Role.ADMIN)
        for alert in AdminAlert.objects.filter(state=AlertState.OPEN):
            admin_alert_resolve(alert_id=alert.pk, actor=admin, note="checked")
        assert staff_counts_refresh().counts["alerts"] == 0
        expect(badge).to_have_count(0)
        expect(alerts).to_be_visible()
        expect(page.locator('.staff-nav [data-nav="contracts"]')).to_have_attribute(
            "aria-current", "page"
        )
    finally:
        context.close()


def test_a_hidden_tab_skips_the_poll_and_asks_when_it_shows_again(
    playwright_browser, live_server, engineer, settings
):
    settings.STAFF_NAV_COUNTS_POLL_SECONDS = 600  # only the tab showing again asks here
    subscription = rich_customer(plan_with_prices(), engineer)
    first = staff_counts_refresh()
    context = signed_in_context(playwright_browser, live_server, engineer, **DESKTOP)
    page = context.new_page()
    polls = []
    page.on(
        "request",
        lambda request: (
            polls.append(request.url) if request.url.endswith(reverse("staff:nav_counts")) else None
        ),
    )
    try:
        page.goto(reverse("contracts_staff:list"))
        badge = page.locator('.staff-nav [data-count="alerts"]')
        expect(badge).to_have_text(f"{first.counts['alerts']} open")
        admin_alert_raise(
            reason="payment.failed",
            message="The renewal charge failed.",
            target=subscription,
            customer_id=subscription.customer_id,
            severity="warning",
        )
        second = staff_counts_refresh()
        # Hidden: the visibility change asks nothing (static/js/staff_nav.js cancels it).
        page.evaluate(TAB_SHOWS, "hidden")
        # Shown again: one poll, and the badge has the worker's new count.
        page.evaluate(TAB_SHOWS, "visible")
        expect(badge).to_have_text(f"{second.counts['alerts']} open")
        assert len(polls) == 1, polls
    finally:
        context.close()
