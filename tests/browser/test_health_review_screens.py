"""The managers' review of a fall into red in Debian's chromium: from the health queue to the
review, acknowledged and acted on with htmx, a missing note refused on its field first.
Screenshots: var/screenshots/health-review-<state>.png."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.health.models import HealthReview, ReviewState
from onboarding.health.services import customer_health_recompute
from tests.acceptance.conftest import active_contract
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import signed_in_context
from tests.factories import staff_user
from tests.health.conftest import overdue_invoice, strict_bands

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"health-review-{name}.png"), full_page=True)


def test_a_manager_acknowledges_and_chooses_the_next_action(playwright_browser, live_server):
    manager = staff_user("manager")
    engineer = staff_user()
    contract = active_contract()
    strict_bands()
    overdue_invoice(contract, days_late=34)
    customer_health_recompute(customer_id=contract.customer_id)
    review = HealthReview.objects.get(customer_id=contract.customer_id)
    context = signed_in_context(playwright_browser, live_server, manager, width=1280, height=900)
    page = context.new_page()
    try:
        page.goto(reverse("health:queue"))
        page.locator(f'[data-review-link="{review.pk}"]').click()
        panel = page.locator("#review-panel")
        expect(panel).to_have_attribute("data-review-state", "open")
        expect(page.locator("#health .hc-number")).to_have_text("60")
        expect(panel).to_contain_text("Health 60 (red). Payment -30")
        expect(page.locator("#next-action-clock")).to_have_attribute("data-overdue", "false")
        _shot(page, "open")

        page.locator("#acknowledge-review").click()
        expect(panel).to_have_attribute("data-review-state", "acknowledged")
        expect(panel.locator('[data-step="acknowledged"]')).to_contain_text(manager.email)

        page.get_by_label("Escalate to the admins").check()
        page.locator("#act-submit").click()
        expect(panel).to_contain_text("Say why it is escalated.")
        expect(panel).to_have_attribute("data-review-state", "acknowledged")

        page.get_by_label("Contact the customer").check()
        page.locator("#id_owner").select_option(str(engineer.pk))
        due = timezone.localdate() + dt.timedelta(days=2)
        page.locator("#id_due").fill(due.isoformat())
        page.locator("#id_note").fill("Call about the invoice 34 days late")
        page.locator("#act-submit").click()
        expect(panel).to_have_attribute("data-review-state", "acted")
        expect(panel.locator('[data-step="acted"]')).to_contain_text(engineer.email)
        expect(panel.locator("#act-form")).to_have_count(0)
        expect(page.locator("#health-review-link")).to_have_attribute("data-review-state", "acted")
        _shot(page, "acted")
    finally:
        context.close()
    review.refresh_from_db()
    assert (review.state, review.owner_id, review.due) == (ReviewState.ACTED, engineer.pk, due)
