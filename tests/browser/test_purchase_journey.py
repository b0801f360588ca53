"""A new visitor buys a plan in a real browser: sign-up, email verification (the link read from a
real SMTP server on loopback), profile, card and cycle, to a confirmed purchase; and the declined
card."""

import re

import pytest
from django.utils import timezone

from onboarding.billing.models import Subscription
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.notifications.relay import relay_drain
from tests.factories import plan_with_prices
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long and unusual passphrase"
YEAR = str(timezone.now().year + 2)


def verification_link(smtp_mail, address: str) -> str:
    def delivered():
        relay_drain(worker_id="browser-test-relay")
        for mail in smtp_mail.sink.to(address):
            found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.text())
            if found:
                return found.group(0)
        return None

    return wait_until(delivered, timeout=20, what=f"a verification email to {address}")


def sign_up_and_verify(page, smtp_mail, live_server, email: str) -> None:
    page.goto("/pricing/?cycle=annual")
    page.get_by_role("link", name=re.compile("Buy Business Care")).click()
    # Not signed in: sign-in page first; go to sign-up from there.
    page.get_by_role("link", name=re.compile("[Ss]ign up")).first.click()
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    page.wait_for_url(re.compile("confirm-email|verification"))
    link = verification_link(smtp_mail, email)
    page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url))
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()


def fill_profile(page) -> None:
    page.get_by_role("link", name="Complete your profile").click()
    page.locator("#id_company").fill("Visitor Ltd")
    page.locator("#id_address_line1").fill("2 Harbour Road")
    page.locator("#id_city").fill("Leeds")
    page.locator("#id_postal_code").fill("LS1 1AA")
    page.locator("#id_country").select_option("GB")
    page.get_by_role("button", name="Save profile").click()


def add_card(page, number: str) -> None:
    page.locator("#id_number").fill(number)
    page.locator("#id_exp_month").fill("12")
    page.locator("#id_exp_year").fill(YEAR)
    page.locator("#id_cvc").fill("123")
    page.get_by_role("button", name="Save card").click()


def test_a_new_visitor_buys_a_plan(page, smtp_mail, live_server, screenshot, settings):
    settings.SITE_URL = live_server.url
    plan_with_prices()
    sign_up_and_verify(page, smtp_mail, live_server, "visitor@example.com")
    page.goto("/buy/business-care/?cycle=annual")
    fill_profile(page)
    page.get_by_role("link", name="Add a card").click()
    add_card(page, "4242 4242 4242 4242")
    screenshot("purchase-ready")
    page.get_by_label("Annual", exact=True).check()
    page.get_by_role("button", name="Confirm purchase").click()
    page.get_by_text("Thank you: Business Care is yours").wait_for()
    screenshot("purchase-confirmed")
    subscription = Subscription.objects.get(customer__user__email="visitor@example.com")
    assert subscription.cycle == "annual"
    step = JourneyStep.objects.get(customer=subscription.customer, step=Step.CARD_AND_CYCLE)
    assert step.state == StepState.DONE


def test_a_declined_card_is_explained_and_nothing_is_bought(
    page, smtp_mail, live_server, screenshot, settings
):
    settings.SITE_URL = live_server.url
    plan_with_prices()
    sign_up_and_verify(page, smtp_mail, live_server, "declined@example.com")
    page.goto("/buy/business-care/?cycle=annual")
    fill_profile(page)
    page.get_by_role("link", name="Add a card").click()
    add_card(page, "4000 0000 0000 0002")
    page.get_by_text("Your card was declined").wait_for()
    screenshot("card-declined")
    assert page.locator("#id_number").input_value() == ""
    assert not Subscription.objects.exists()
    step = JourneyStep.objects.get(
        customer__user__email="declined@example.com", step=Step.CARD_AND_CYCLE
    )
    assert step.state == StepState.FAILED
