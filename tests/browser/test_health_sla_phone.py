"""The health and SLA staff pages at a phone's width (390x844) and a desktop's in Debian's
chromium: the health queue, a health review, the service credits and one credit, the SLA breach
report, the request pages with their clocks and the customer view with its health card. None
scrolls the page sideways (a wide table may scroll inside its own container), and each page's
main controls can be seen and reached. Screenshots: var/screenshots/hs-<phone|desktop>-<page>.png.
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.billing.billrun import bill_run_execute
from onboarding.health.models import HealthReview
from onboarding.health.services import customer_health_recompute
from onboarding.sysops.credit_models import ServiceCredit
from tests.acceptance.conftest import active_contract
from tests.browser.sessions import sign_in
from tests.browser.test_phone_width import CHARTS_DRAWN, OVERFLOWING
from tests.health.conftest import overdue_invoice, strict_bands
from tests.health.shown import counted
from tests.sysops.conftest import open_request, subscribe, today
from tests.sysops.sla_terms import breach, credit_terms, plan_with_sla_terms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _reachable(page, selector: str, width: int) -> str | None:
    """What is wrong with the control `selector`, or None when it shows inside the screen's
    width (after scrolling it into view)."""
    control = page.locator(selector).first
    expect(control).to_be_visible()
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
        return f"{selector} sits outside the screen: {box}"
    return None


def _check(page, screenshot, name: str, url: str, controls: list[str], size: dict) -> list[str]:
    page.set_viewport_size(size)
    response = page.goto(url)
    assert response is not None and response.status == 200, (name, url, response)
    page.wait_for_function(CHARTS_DRAWN)  # a chart draws after its data arrives
    problems = []
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > page.evaluate("window.innerWidth"):
        problems.append(f"{name} is {wide}px wide at {size['width']}: {page.evaluate(OVERFLOWING)}")
    for selector in controls:
        wrong = _reachable(page, selector, size["width"])
        if wrong:
            problems.append(f"{name}: {wrong}")
    kind = "phone" if size is PHONE else "desktop"
    screenshot(f"hs-{kind}-{name}")
    return problems


def test_the_health_and_sla_staff_pages_fit_a_phone(
    page, live_server, customer, manager, screenshot
):
    # A customer fallen into red: the queue lists them and a review waits for a manager.
    plan = plan_with_sla_terms()
    credit_terms(plan)
    # A long plan name: the breach report's chart label must not run out of its drawing.
    plan.name = "Business Care Extended with Weekend Cover"
    plan.save(update_fields=["name"])
    strict_bands()
    contract = active_contract(plan=plan)
    overdue_invoice(contract, days_late=34)
    customer_health_recompute(customer_id=contract.customer_id)
    review = HealthReview.objects.get(customer_id=contract.customer_id)
    counted()  # the queue's chart draws the worker's stored counts
    # Another customer's request breached its first response: a credit is proposed.
    subscription = subscribe(customer, plan)
    bill_run_execute(run_date=today())
    request = open_request(subscription)
    breach(request)
    credit = ServiceCredit.objects.get()
    month = timezone.localdate().strftime("%Y-%m")

    # A long address without a place to break: the review's history and owner list show it.
    manager.email = "operations.manager.on.call.rotation@customer-success.example.com"
    manager.save(update_fields=["email"])
    sign_in(page.context, live_server, manager)
    page.emulate_media(reduced_motion="reduce")
    pages = [
        ("health-queue", reverse("health:queue"), ["#f-band", ".filters button", "svg.band-bars"]),
        ("health-review", reverse("health:review", args=[review.pk]), ["#acknowledge-review"]),
        ("service-credits", reverse("sysops:service_credits"), ["main tbody tr a"]),
        (
            "service-credit",
            reverse("sysops:service_credit", args=[credit.pk]),
            ['main button:has-text("Approve")', 'main button:has-text("Decline")'],
        ),
        (
            "sla-breaches",
            reverse("sysops:sla_breach_report") + f"?month={month}",
            ["main .filters button", ".sla-chart svg"],
        ),
        (
            "staff-request",
            reverse("sysops:request_detail", args=[request.pk]),
            [
                ".sla-clocks",
                'main button:has-text("Add comment")',
                'main button:has-text("Assign")',
            ],
        ),
        ("staff-customer", reverse("sysops:customer", args=[contract.customer_id]), ["#health"]),
    ]
    problems = []
    for size in (PHONE, DESKTOP):
        for name, url, controls in pages:
            problems += _check(page, screenshot, name, url, controls, size)

    # The breach report's chart: each label wraps inside the card, each rate fits its drawing.
    page.set_viewport_size(PHONE)
    page.goto(reverse("sysops:sla_breach_report") + f"?month={month}")
    chart = page.locator(".sla-chart")
    expect(chart.locator(".sla-chart-label")).to_contain_text("Weekend Cover · First response")
    fits = page.evaluate("""() => {
      const card = document.querySelector(".sla-chart").getBoundingClientRect();
      const labels = [...document.querySelectorAll(".sla-chart-label")].map((label) => {
        const box = label.getBoundingClientRect();
        return [label.textContent, box.left >= card.left && box.right <= card.right];
      });
      const rates = [...document.querySelectorAll(".sla-chart svg text")].map((text) => {
        const box = text.getBBox();
        const width = text.ownerSVGElement.viewBox.baseVal.width;
        return [text.textContent, box.x >= 0 && box.x + box.width <= width + 0.5];
      });
      return labels.concat(rates);
    }""")
    assert len(fits) == 2 and all(inside for _text, inside in fits), fits
    screenshot("hs-phone-sla-breaches-long-plan")

    # The review's next-action form, once acknowledged, fits the phone too.
    page.set_viewport_size(PHONE)
    page.goto(reverse("health:review", args=[review.pk]))
    page.locator("#acknowledge-review").click()
    expect(page.locator("#review-panel")).to_have_attribute("data-review-state", "acknowledged")
    for selector in ("#id_owner", "#id_due", "#id_note", "#act-submit"):
        wrong = _reachable(page, selector, PHONE["width"])
        if wrong:
            problems.append(f"health-review (acknowledged): {wrong}")
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        problems.append(f"acknowledged review too wide: {page.evaluate(OVERFLOWING)}")
    screenshot("hs-phone-health-review-acknowledged")

    # The customer's own request page with its clocks.
    page.context.clear_cookies()
    sign_in(page.context, live_server, subscription.customer.user)
    problems += _check(
        page,
        screenshot,
        "customer-request",
        reverse("requests:detail", args=[request.pk]),
        [".sla-clocks", 'main button:has-text("Send reply")'],
        PHONE,
    )
    assert not problems, "\n".join(problems)
