"""Replacing the card in a real browser: the card page first asks for the password again
(allauth's reauthentication, in our layout), then comes back to the card form and the new card is
on file. Screenshots at 1280 and 390 px go to var/screenshots/reauth-<width>-<step>.png."""

import re

import pytest

from onboarding.payments.models import PaymentMethod, PaymentMethodStatus
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import signed_in_context
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.payments.helpers import card_on_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_card_is_replaced_after_the_password_is_given_again(
    playwright_browser, live_server, width
):
    user = UserFactory()
    card_on_file(user.customer)
    context = signed_in_context(playwright_browser, live_server, user, width=width, height=900)
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"reauth-{width}-{name}.png"), full_page=True)
        assert page.evaluate(FITS), f"{name} is wider than {width} px"

    try:
        page.goto("/account/card/")
        page.wait_for_url(re.compile(r"/accounts/reauthenticate/\?next=%2Faccount%2Fcard%2F"))
        shoot("asked")
        page.locator("#id_password").fill("not-the-password-42")
        page.locator("main form button[type=submit]").click()
        page.locator(".field-error, .errorlist").first.wait_for()
        shoot("wrong-password")
        page.locator("#id_password").fill(DEFAULT_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/account/card/$"))
        page.get_by_role("heading", name="Replace your card").wait_for()
        assert page.locator("#id_password").count() == 0  # asked once, not again in the form
        shoot("card-form")
        page.locator("#id_number").fill("5555 5555 5555 4444")
        page.locator("#id_exp_month").fill("11")
        page.locator("#id_exp_year").fill("2040")
        page.locator("#id_cvc").fill("123")
        page.get_by_role("button", name="Replace card").click()
        page.wait_for_url(re.compile(r"/account/$"))
        active = PaymentMethod.objects.get(
            customer=user.customer, status=PaymentMethodStatus.ACTIVE
        )
        assert active.last4 == "4444"
    finally:
        context.close()
