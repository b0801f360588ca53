"""The plan-change page in Debian's chromium at a phone's and a desktop's width: the preview's
two lines fit without sideways scroll, confirming upgrades, and a scheduled downgrade shows and
is cancelled. Screenshots under var/screenshots/plan-change-*."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Subscription
from tests.billing.conftest import bought, ready_customer
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import WIDTHS, signed_in_context
from tests.factories import plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _active() -> Subscription:
    plan = plan_with_prices()
    plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    plan_with_prices("essential-care", monthly=4900)
    anchor = (timezone.now() - timedelta(days=12)).replace(microsecond=0)
    subscription = bought(ready_customer(company="Initech GmbH"), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    return subscription


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_customer_previews_confirms_and_schedules_at_both_widths(
    playwright_browser, live_server, size
):
    subscription = _active()
    width, height = WIDTHS[size]
    context = signed_in_context(
        playwright_browser, live_server, subscription.customer.user, width=width, height=height
    )
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(reverse("accounts:home"))
        page.get_by_role("link", name="Change plan or quantity").click()
        page.select_option("#id_plan", "enterprise-care")
        page.fill("#id_quantity", "3")
        page.get_by_role("button", name="See what it costs", exact=True).click()
        expect(page.locator("[data-preview=now] tbody tr")).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SCREENSHOTS / f"plan-change-preview-{size}.png"), full_page=True)

        page.get_by_role("button", name="Confirm and pay").click()
        page.wait_for_url("**/account/")
        expect(page.get_by_text("The plan is now")).to_be_visible()

        page.get_by_role("link", name="Change plan or quantity").click()
        page.select_option("#id_plan", "enterprise-care")
        page.fill("#id_quantity", "1")
        page.get_by_role("button", name="See what it costs", exact=True).click()
        page.get_by_role("button", name="Schedule the change").click()
        page.wait_for_url("**/account/")
        page.goto(reverse("billing:plan_change", args=[subscription.pk]))
        expect(page.locator("[data-scheduled-change]")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SCREENSHOTS / f"plan-change-scheduled-{size}.png"), full_page=True)
        page.get_by_role("button", name="Cancel the scheduled change").click()
        expect(page.get_by_text("The scheduled change is cancelled")).to_be_visible()
        subscription.refresh_from_db()
        assert (subscription.quantity, subscription.pending_quantity) == (3, None)
    finally:
        context.close()
