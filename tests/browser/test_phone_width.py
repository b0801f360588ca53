"""Every page of the journey on a 390 px phone: no sideways scroll, the header's menu opens and
every link in it can be reached; a phone and a desktop screenshot of each page.

Visitor, customer (with a plan, invoices, contracts and requests, so every page has content) and
staff member each walk their pages in Debian's chromium.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.billing.models import Invoice
from onboarding.contracts.models import Contract
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import sign_in
from tests.factories import DEFAULT_PASSWORD, UserFactory, plan_with_prices, staff_user
from tests.health.shown import counted, scored
from tests.sysops.conftest import rich_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# What sticks out past the right edge of the screen, outside any container that scrolls or
# clips it: named in the failure so the template to fix is obvious.
OVERFLOWING = """() => {
  const edge = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "auto" || x === "scroll" || x === "hidden") return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= edge + 0.5 || clipped(el)) continue;
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const id = el.id ? "#" + el.id : "";
    found.push(`${el.tagName.toLowerCase()}${id}${cls} (${Math.round(box.right)}px)`);
    if (found.length === 5) break;
  }
  return found;
}"""


CHARTS_DRAWN = """() => [...document.querySelectorAll("canvas")].every(
  (canvas) => typeof Chart === "undefined" || Chart.getChart(canvas) !== undefined
)"""


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _check_menu(page) -> list[str]:
    """Open the phone menu; every link in it must show inside the screen. Leaves it open."""
    problems = []
    toggle = page.locator(".menu-toggle")
    if not toggle.is_visible():
        return ["the Menu button is not shown at phone width"]
    toggle.click()
    # Wait for menu.js to have opened the menu before measuring its links.
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#site-menu")).to_be_visible()
    for link in page.locator("#site-menu a").all():
        box = link.bounding_box() if link.is_visible() else None
        if box is None or box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] + 0.5:
            problems.append(f"menu link {link.inner_text()!r} cannot be reached")
    if _width(page) > PHONE["width"]:
        problems.append(f"the open menu widens the page to {_width(page)}px")
    return problems


def _open(page, name: str, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, (name, url, response)
    # A chart draws after its data arrives; the screenshot waits for it.
    page.wait_for_function(CHARTS_DRAWN)


def _walk(page, screenshot, pages: list[tuple[str, str]], menu_shot: str) -> list[str]:
    """Visit each (name, url) at phone width, then at desktop width; return what is wrong."""
    page.emulate_media(reduced_motion="reduce")  # charts draw at once, without animation
    problems = []
    for name, url in pages:
        page.set_viewport_size(PHONE)
        _open(page, name, url)
        width = _width(page)
        if width > PHONE["width"]:
            problems.append(f"{name} ({url}) is {width}px wide: {page.evaluate(OVERFLOWING)}")
        screenshot(f"phone-{name}")
        problems += [f"{name}: {problem}" for problem in _check_menu(page)]
        if name == menu_shot:
            screenshot(f"phone-{name}-menu-open")
        page.locator(".menu-toggle").click()
        closed = f"{name}: the Menu button closes the menu"
        expect(page.locator("#site-menu"), closed).to_be_hidden()
        page.set_viewport_size(DESKTOP)
        _open(page, name, url)
        assert not page.locator(".menu-toggle").is_visible(), f"{name}: Menu button on desktop"
        assert page.locator(".site-nav").is_visible(), name
        screenshot(f"desktop-{name}")
    return problems


@pytest.fixture
def plan(db):
    return plan_with_prices()


def test_a_visitor_never_scrolls_sideways_on_a_phone(page, screenshot, plan):
    pages = [
        ("home", "/"),
        ("pricing", "/pricing/"),
        ("buy-visitor", reverse("billing:buy", args=[plan.slug]) + "?cycle=quarterly"),
        ("sign-up", reverse("account_signup")),
        ("sign-in", reverse("account_login")),
    ]
    problems = _walk(page, screenshot, pages, menu_shot="home")
    assert not problems, "\n".join(problems)


def test_a_customer_never_scrolls_sideways_on_a_phone(page, live_server, screenshot, plan):
    subscription = rich_customer(plan, staff_user())
    customer = subscription.customer
    invoice = Invoice.objects.filter(customer=customer).order_by("-id").first()
    contract = Contract.objects.filter(customer=customer).order_by("term_index").first()
    sign_in(page.context, live_server, customer.user, password_again=DEFAULT_PASSWORD)
    pages = [
        ("account", reverse("accounts:home")),
        ("profile", reverse("accounts:profile")),
        ("card", reverse("payments:card")),  # open: the password was just given again
        ("reauthenticate", reverse("account_reauthenticate")),
        ("buy", reverse("billing:buy", args=[plan.slug])),
        ("invoices", reverse("billing:invoices")),
        ("invoice", reverse("billing:invoice", args=[invoice.pk])),
        ("contracts", reverse("contracts:list")),
        ("contract", reverse("contracts:detail", args=[contract.pk])),
        ("inbox", reverse("notifications:inbox")),
        ("requests", reverse("requests:list")),
        ("sign-in-email", reverse("account_email")),
    ]
    problems = _walk(page, screenshot, pages, menu_shot="sign-in-email")
    assert not problems, "\n".join(problems)


def test_staff_never_scroll_sideways_on_a_phone(page, live_server, screenshot, plan):
    engineer = staff_user()
    subscription = rich_customer(plan, engineer)
    # Scored, so the customer view, the search and the health queue show a score and its chart.
    scored(
        subscription.customer,
        costs={"payment": 30, "acceptance": 20, "service": 20},
        trend=-12,
        history=[(90, 80), (30, 55)],
    )
    counted()  # the queue's chart draws the worker's stored counts (onboarding/health/counts.py)
    # Customers spread along the journey, so the funnel has something to show.
    for finished in ([], [Step.ACCOUNT], [Step.ACCOUNT], [Step.ACCOUNT, Step.CARD_AND_CYCLE]):
        customer = UserFactory().customer
        for step in finished:
            journey_step_complete(customer=customer, step=step)
    sign_in(page.context, live_server, engineer)
    pages = [
        ("staff-home", reverse("staff:home")),
        ("staff-search", reverse("sysops:customer_search") + "?q=northwind"),
        ("staff-customer", reverse("sysops:customer", args=[subscription.customer_id])),
        ("staff-requests", reverse("sysops:request_queue")),
        ("staff-acceptance", reverse("acceptance:console")),
        ("staff-risk", reverse("risk:board")),
        ("staff-health", reverse("health:queue")),
        ("staff-contracts", reverse("contracts_staff:list")),
        ("staff-invoices", reverse("billing:staff_invoices")),
        ("staff-alerts", reverse("alerts:list")),
        ("staff-audit", reverse("audit:list")),
        ("staff-mail", reverse("mail:list")),
        ("staff-tasks", reverse("tasks:list")),
        ("staff-funnel", reverse("journey:funnel")),
        ("staff-two-factor", reverse("mfa_index")),
    ]
    problems = _walk(page, screenshot, pages, menu_shot="staff-home")
    assert not problems, "\n".join(problems)


def test_the_skip_link_appears_on_the_first_tab_and_leads_to_the_content(page, screenshot):
    page.set_viewport_size(PHONE)
    page.goto("/pricing/")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.bounding_box()["y"] < 0  # out of sight until focused
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    screenshot("phone-skip-link-focused")
    page.keyboard.press("Enter")
    # Following a fragment link settles after the key press returns: wait for it.
    expect(page).to_have_url(re.compile(r"#content$"))
    expect(page.locator("#content")).to_be_focused()


def test_without_javascript_the_header_links_wrap_on_a_phone(playwright_browser, live_server):
    engineer = staff_user()
    context = playwright_browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE
    )
    try:
        page = context.new_page()
        sign_in(page.context, live_server, engineer)
        page.goto(reverse("staff:home"))
        assert _width(page) <= PHONE["width"]
        assert not page.locator(".menu-toggle").is_visible()
        for link in page.locator("header a").all():
            box = link.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"] + 0.5
        page.screenshot(path=str(SCREENSHOTS / "phone-staff-home-no-js.png"), full_page=True)
    finally:
        context.close()


def test_the_error_pages_fit_a_phone(page, screenshot):
    page.set_viewport_size(PHONE)
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert _width(page) <= PHONE["width"]
    screenshot("phone-404")
