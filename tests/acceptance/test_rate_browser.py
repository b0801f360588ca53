"""In a real browser: a requirement is rated in place, without the page reloading, on a desktop
and on a phone; pressing Rate without choosing a rating rates nothing; a red during capture
makes the contract red at once. Screenshots go to var/screenshots/."""

import pytest
from playwright.sync_api import expect

from onboarding.acceptance.models import Rating, RequirementTemplate, Review
from onboarding.acceptance.requirements import requirement_add, requirements_start_from_template
from onboarding.notifications.models import Notification
from onboarding.sla.seed import sla_seed
from tests.acceptance.conftest import active_contract
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import WIDTHS, signed_in_context
from tests.factories import complete_profile


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", list(WIDTHS))
def test_a_requirement_is_rated_in_place_without_a_page_reload(
    playwright_browser, live_server, sysops, device
):
    contract = active_contract()
    # A customer in Germany: the seed's hours follow the customer, so they count in Berlin.
    complete_profile(contract.customer, country="DE", city="Berlin")
    sla_seed()  # the plan's SLA terms: a red review's next action has a deadline
    first = requirement_add(
        contract=contract,
        actor=sysops,
        title="Remote access",
        criteria="VPN reaches the server",
        rating=Rating.GREEN,
    )
    requirement_add(
        contract=contract,
        actor=sysops,
        title="Backups",
        criteria="Nightly backup restores",
        rating=Rating.GREEN,
    )
    width, height = WIDTHS[device]
    context = signed_in_context(playwright_browser, live_server, sysops, width=width, height=height)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        page.goto(f"/staff/acceptance/contracts/{contract.pk}/")
        assert page.locator("h1").count() == 1
        assert page.locator("#acceptance-status").get_attribute("data-status") == "green"
        page.evaluate("window.__stillTheSamePage = 'yes'")
        page.locator("#requirements").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"acceptance-contract-before-{device}.png"))

        row = page.locator(f"#req-{first.pk}")
        row.locator("select[name=rating]").select_option("red")
        row.locator("input[name=note]").fill("VPN is down")
        row.get_by_role("button", name="Rate").click()

        page.locator(f'#req-{first.pk}[data-rating="red"]').wait_for()
        page.locator('#acceptance-status[data-status="red"]').wait_for()
        assert page.evaluate("window.__stillTheSamePage") == "yes"  # no reload happened
        assert "1 red" in page.locator("#requirements-summary").inner_text()
        assert "The managers were notified" in page.locator("#review").inner_text()
        assert page.locator(f"#req-{first.pk}").get_by_text("VPN is down").count() == 1
        # The red review's next action has its deadline, swapped in with the review.
        clock_ = page.locator('#next-action-clock[data-outcome="running"]')
        expect(clock_).to_be_visible()
        expect(clock_).to_contain_text("Due by")
        expect(clock_).to_contain_text("(Europe/Berlin)")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator("#review").scroll_into_view_if_needed()
        page.locator("#review").screenshot(
            path=str(SCREENSHOTS / f"acceptance-next-action-{device}.png")
        )
        page.locator(f"#req-{first.pk}").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"acceptance-contract-after-{device}.png"))
        page.screenshot(
            path=str(SCREENSHOTS / f"acceptance-contract-after-{device}-full.png"), full_page=True
        )
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", list(WIDTHS))
def test_rate_without_a_choice_rates_nothing_and_a_red_during_capture_tells_the_managers(
    playwright_browser, live_server, sysops, manager, device
):
    contract = active_contract()
    for position, title in enumerate(("Remote access", "Backups")):
        RequirementTemplate.objects.create(
            plan=contract.plan, title=title, criteria=f"{title} work", position=position
        )
    first, _second = requirements_start_from_template(contract=contract, actor=sysops)
    width, height = WIDTHS[device]
    context = signed_in_context(playwright_browser, live_server, sysops, width=width, height=height)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page = context.new_page()
        page.goto(f"/staff/acceptance/contracts/{contract.pk}/")
        row = page.locator(f"#req-{first.pk}")
        select = row.locator("select[name=rating]")
        assert select.input_value() == ""
        assert select.locator("option:checked").inner_text() == "Choose a rating"

        row.get_by_role("button", name="Rate").click()

        errors = page.locator(f"#rate-errors-{first.pk}")
        errors.wait_for()
        assert "Choose a rating: Red, Yellow or Green." in errors.inner_text()
        assert page.locator(f"#req-{first.pk}").get_attribute("data-rating") == "unrated"
        assert page.locator("#acceptance-status").get_attribute("data-status") == "in_capture"
        first.refresh_from_db()
        assert first.rating == Rating.UNRATED and not Review.objects.exists()

        page.locator(f"#req-{first.pk} select[name=rating]").select_option("red")
        page.locator(f"#req-{first.pk}").get_by_role("button", name="Rate").click()

        page.locator('#acceptance-status[data-status="red"]').wait_for()
        review = page.locator("#review").inner_text()
        assert "The managers were notified" in review
        assert "Red while 1 requirement is still not rated" in review
        assert Notification.objects.filter(kind="acceptance_escalation", recipient=manager).exists()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SCREENSHOTS / f"acceptance-red-during-capture-{device}.png"))
    finally:
        context.close()
