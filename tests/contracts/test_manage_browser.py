"""In a real browser, at desktop and phone widths: a new customer's account page leads to its
first step; further along it leads to the contract; the contract page keeps cancelling inside
"Manage contract", and the confirmation page cancels only once the box is ticked.
Screenshots: var/screenshots/account-*.png and contract-*.png."""

import re

import pytest
from django.conf import settings

from onboarding.contracts.models import ContractState
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = settings.VAR_DIR / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(params=list(WIDTHS))
def width(request):
    return request.param


@pytest.fixture
def page(playwright_browser, live_server, width):
    context = playwright_browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTHS[width], "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(re.compile(r"/$|/account/"))


def test_a_new_customers_account_page_leads_to_their_first_step(page, width):
    user = UserFactory(first_name="Grace", last_name="Hopper")
    _sign_in(page, user.email)
    page.goto("/account/")
    assert page.title().startswith("Grace Hopper")
    _shoot(page, f"account-new-{width}")

    page.get_by_role("link", name="Complete your billing details").click()
    page.wait_for_url(re.compile(r"/account/profile/"))


def test_the_manage_step_cancels_only_once_confirmed(page, width, buyer, delivered):
    for step in Step:
        journey_step_complete(customer=delivered.customer, step=step)
    _sign_in(page, buyer.email)
    page.goto("/account/")
    _shoot(page, f"account-onboarded-{width}")
    page.get_by_role("link", name=f"Acknowledge contract {delivered.number}").click()

    page.locator("#acknowledge").wait_for()
    manage = page.locator("details#manage")
    assert manage.get_attribute("open") is None
    assert not page.get_by_role("link", name="Cancel this contract…").is_visible()
    _shoot(page, f"contract-new-{width}")

    page.get_by_text("Manage contract").click()
    _shoot(page, f"contract-manage-open-{width}")
    page.get_by_role("link", name="Cancel this contract…").click()
    page.locator("[data-service-ends]").wait_for()
    _shoot(page, f"contract-confirm-cancel-{width}")

    button = page.get_by_role("button", name=f"Cancel contract {delivered.number}")
    button.click()  # the box is not ticked: the browser refuses to send the form
    assert page.locator("#id_cancel-confirm").evaluate("box => box.validity.valueMissing")
    delivered.refresh_from_db()
    assert delivered.state == ContractState.SENT

    page.locator("#id_cancel-confirm").check()
    button.click()
    page.get_by_text("Your contract is cancelled").wait_for()
    _shoot(page, f"contract-cancelled-{width}")
    delivered.refresh_from_db()
    assert delivered.state == ContractState.CANCELLED
