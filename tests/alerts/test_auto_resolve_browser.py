"""In a real browser: an alert the system resolved says so on the alert list and its page, at
desktop and phone width; screenshots go to var/screenshots/."""

import pytest

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.payments.methods import CardRefused
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import WIDTHS, signed_in_context
from tests.factories import UserFactory, complete_profile
from tests.payments.helpers import GOOD_CARD, card_on_file

DECLINED = "4000000000000002"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", list(WIDTHS))
def test_an_alert_resolved_by_the_system_says_so(
    playwright_browser, live_server, admin_user, device
):
    customer = complete_profile(UserFactory().customer, company="Compilers Ltd")
    with pytest.raises(CardRefused):
        card_on_file(customer, DECLINED)
    card_on_file(customer, GOOD_CARD)
    alert = AdminAlert.objects.get(reason="card_refused")
    assert alert.state == AlertState.RESOLVED
    width, height = WIDTHS[device]
    context = signed_in_context(
        playwright_browser, live_server, admin_user, width=width, height=height
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        page.goto("/staff/alerts/?state=resolved")
        row = page.locator("tbody tr").filter(has_text="card_refused")
        assert "by system" in row.inner_text()
        assert "Warning" in row.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(
            path=str(SCREENSHOTS / f"alerts-list-auto-resolved-{device}.png"), full_page=True
        )

        page.goto(f"/staff/alerts/{alert.pk}/")
        actions = page.locator("#alert-actions").inner_text()
        assert "Resolved" in actions and "system" in actions
        assert "was put on file for" in actions
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(
            path=str(SCREENSHOTS / f"alerts-detail-auto-resolved-{device}.png"), full_page=True
        )
    finally:
        context.close()
