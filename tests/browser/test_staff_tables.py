"""The staff pages a SysOps person reads on a phone and at a desk (Debian's chromium).

At 390x844 every staff list is a card per row (table.stack) led by its status or rating, with each
cell's column name; at 1280x800 the audit log fits the screen, long values folded away. The console
home never says "None" before the worker has counted, and shows the counts once it has. Each page
is screenshotted at both widths into var/screenshots/ (staff-tables-*).
"""

import json

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from config.staff_counts import staff_counts_refresh
from onboarding.alerts.selectors import admin_alert_open_count
from onboarding.audit.services import audit_record
from onboarding.contracts.models import Contract
from onboarding.core.context import request_context
from onboarding.worker.services import heartbeat_beat
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import signed_in_context
from tests.factories import plan_with_prices, staff_user
from tests.sysops.conftest import rich_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# Every cell of every stacked row: whether it shows, whether it has its column name, where it
# stands, and whether it is the row's key cell.
STACKED_ROWS = """(table) => [...table.tBodies[0].rows].map((row) => [...row.cells].map((cell) => {
  const box = cell.getBoundingClientRect();
  const inner = Math.max(box.right, ...[...cell.querySelectorAll("*")].map(
    (el) => el.getBoundingClientRect().right));
  return {label: cell.dataset.label ?? null, key: cell.classList.contains("stack-first"),
          shown: box.height > 0, top: box.top, left: box.left, right: box.right, inner,
          spans: cell.colSpan > 1, text: cell.innerText.trim()};
}))"""

# (name, URL name, table selector, whether its rows lead with a key cell)
LISTS = [
    ("acceptance", "acceptance:console", "#acceptance-console", True),
    ("invoices", "billing:staff_invoices", "main > table.stack", True),
    ("contracts", "contracts_staff:list", "main > table.stack", True),
    ("requests", "sysops:request_queue", "main > table.stack", True),
    ("alerts", "alerts:list", "#alert-list", True),
    ("outbox", "mail:outbox", "main > table.stack", True),
    ("mail", "mail:list", "#sent-mail", False),
    ("tasks", "tasks:list", "main > table.stack", True),
    ("audit", "audit:list", "#audit-results table", False),
]

LONG_SETTINGS = {f"option_{i}": {"enabled": True, "note": "x" * 30} for i in range(8)}
REQUEST_ID = "f3a9c1d2" * 8  # the longest id the middleware keeps (64 characters)


@pytest.fixture
def engineer():
    return staff_user()


@pytest.fixture
def subscription(engineer):
    subscription = rich_customer(plan_with_prices(), engineer)
    with request_context(request_id=REQUEST_ID, client_ip="2001:db8:85a3::8a2e:370:7334"):
        audit_record(
            action="settings.changed",
            actor=engineer,
            target=subscription,
            customer_id=subscription.customer_id,
            changes={"settings": [None, LONG_SETTINGS], "url": "https://" + "long-host." * 12},
        )
    now = timezone.now()
    heartbeat_beat(worker_id="worker-" + "a" * 40, hostname="app-1", pid=4242, started_at=now)
    return subscription


def _context(playwright_browser, live_server, user, size):
    return signed_in_context(playwright_browser, live_server, user, **size)


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"staff-tables-{name}.png"), full_page=True)


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_staff_lists_are_cards_led_by_their_status_on_a_phone(
    playwright_browser, live_server, engineer, subscription
):
    context = _context(playwright_browser, live_server, engineer, PHONE)
    page = context.new_page()
    problems = []
    try:
        for name, url_name, selector, key_first in LISTS:
            page.goto(reverse(url_name))
            _shot(page, f"phone-{name}")
            if _page_width(page) > PHONE["width"]:
                problems.append(f"{name}: the page is {_page_width(page)}px wide")
            table = page.locator(selector)
            assert table.count() == 1, (name, selector)
            if table.locator("thead").evaluate("el => el.getBoundingClientRect().width") > 1:
                problems.append(f"{name}: the column headings still show")
            rows = table.evaluate(STACKED_ROWS)
            assert rows and rows[0], name
            for number, cells in enumerate(rows):
                shown = [cell for cell in cells if cell["shown"]]
                if any(c["left"] < 0 or c["right"] > PHONE["width"] + 0.5 for c in shown):
                    problems.append(f"{name} row {number}: a cell is off the screen")
                if any(c["inner"] > c["right"] + 0.5 for c in shown):
                    problems.append(f"{name} row {number}: a value runs past its card")
                if len(cells) == 1 and cells[0]["spans"]:
                    continue  # the empty-state row
                unlabelled = [c["text"][:30] for c in cells if c["label"] is None and c["text"]]
                if len(unlabelled) > (1 if name == "outbox" else 0):  # the outbox's Re-queue
                    problems.append(f"{name} row {number}: cells with no column name {unlabelled}")
                if key_first:
                    first = min(shown, key=lambda c: c["top"])
                    if not first["key"]:
                        problems.append(f"{name} row {number}: first is {first['label']!r}")
            page.set_viewport_size(DESKTOP)
            page.reload()
            _shot(page, f"desktop-{name}")
            page.set_viewport_size(PHONE)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_acceptance_list_shows_each_contracts_rating_first_on_a_phone(
    playwright_browser, live_server, engineer, subscription
):
    context = _context(playwright_browser, live_server, engineer, PHONE)
    page = context.new_page()
    try:
        page.goto(reverse("acceptance:console"))
        row = page.locator("#acceptance-console tbody tr").first
        badge = row.locator("td.stack-first .badge")
        box = badge.bounding_box()
        assert badge.inner_text() == "Red"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        label = row.locator("td.stack-first").evaluate(
            "el => getComputedStyle(el, '::before').content"
        )
        assert label == '"Status"'
        due = row.locator("td[data-label=Due]")
        assert due.is_visible() and due.bounding_box()["y"] > box["y"]
    finally:
        context.close()


def test_the_audit_log_fits_a_desktop_with_long_values_folded(
    playwright_browser, live_server, engineer, subscription
):
    context = _context(playwright_browser, live_server, engineer, DESKTOP)
    page = context.new_page()
    try:
        page.goto(reverse("audit:list"))
        _shot(page, "desktop-audit-top")
        assert _page_width(page) <= DESKTOP["width"], _page_width(page)
        edge = page.evaluate("document.documentElement.clientWidth")
        for heading in ("Changes", "Request"):
            box = page.locator("#audit-results th", has_text=heading).bounding_box()
            assert box["x"] + box["width"] <= edge, (heading, box)
        row = page.locator("#audit-results tbody tr", has_text="settings.changed")
        # By its field: PostgreSQL's jsonb keeps the changes' keys in its own order.
        settings_change = row.locator(".audit-change", has_text="settings:")
        long_value = settings_change.locator("details.audit-value")
        assert long_value.locator("summary").is_visible()
        full = long_value.locator(".audit-value-full")
        assert not full.is_visible()
        assert json.loads(full.text_content()) == LONG_SETTINGS
        long_value.locator("summary").click()
        expect(full).to_be_visible()
        request_id = row.locator("code.request-id")
        assert request_id.text_content() == REQUEST_ID  # whole, broken across lines to fit
        box = request_id.bounding_box()
        assert box["x"] + box["width"] <= edge
        assert _page_width(page) <= DESKTOP["width"]
        _shot(page, "desktop-audit-opened")
    finally:
        context.close()


def test_the_console_home_says_counting_until_the_worker_has_counted(
    playwright_browser, live_server, engineer, subscription
):
    context = _context(playwright_browser, live_server, engineer, PHONE)
    page = context.new_page()
    try:
        page.goto(reverse("staff:home"))
        alerts = page.locator('[data-card="alerts"] .count-line')
        assert alerts.inner_text() == "Counting…"
        assert "None" not in page.locator("#staff-tiles").inner_text()
        _shot(page, "phone-home-counting")
        stored = staff_counts_refresh()  # the worker's periodic task, which the visit asked for
        expected = f"{stored.counts['alerts']} open"
        assert stored.counts["alerts"] == admin_alert_open_count() > 0
        page.wait_for_function(
            """(expected) => document.querySelector('[data-card="alerts"] .count-line')
                               .textContent.trim() === expected""",
            arg=expected,
        )
        # htmx swaps the text in first and settles the attributes of elements that keep their
        # id a moment later: wait for each, do not read them the instant the text shows.
        expect(page.locator('[data-card="acceptance"] .count-line')).to_have_text("1 red")
        expect(page.locator("#counts-as-of")).to_have_attribute("data-counts", "current")
        _shot(page, "phone-home-counted")
        page.set_viewport_size(DESKTOP)
        page.reload()
        _shot(page, "desktop-home-counted")
    finally:
        context.close()


def test_the_staff_contract_page_writes_its_term_as_dates(
    playwright_browser, live_server, engineer, subscription
):
    contract = Contract.objects.filter(customer=subscription.customer).order_by("term_index")[0]
    context = _context(playwright_browser, live_server, engineer, PHONE)
    page = context.new_page()
    try:
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.goto(reverse("contracts_staff:detail", args=[contract.pk]))
            term = page.locator("section.card", has=page.get_by_role("heading", name="Term"))
            text = term.locator("p").first.inner_text()
            assert text == (
                f"{contract.term_start:%-d %B %Y} to {contract.term_end:%-d %B %Y}"
                f" ({contract.term_months} months)"
            ), text
            assert _page_width(page) <= size["width"]
            _shot(page, f"{label}-contract")
    finally:
        context.close()
