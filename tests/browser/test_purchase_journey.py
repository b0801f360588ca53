"""A new visitor buys a plan in a real browser the way a first-time buyer goes: "Buy" on the
pricing page, sign-up, email verification (the link read from a real SMTP server on loopback),
then straight to that plan's buy page, the profile and the card, and a confirmed purchase in the
plan and cycle chosen on the pricing page, never chosen again; and the declined card."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.billing.intent import BILLED
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
            found = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.text())
            if found:
                return found.group(0)
        return None

    return wait_until(delivered, timeout=20, what=f"a verification email to {address}")


def banner(page) -> str:
    return page.locator(".purchase-banner").inner_text()


def open_from_buy_page(page, link_name: str, path: str, banner_says: str) -> None:
    """Follow the buy page's link to `path`, and wait for that page: the buy page shows the
    same banner, so a banner read the instant the click returns may still be the buy page's."""
    page.get_by_role("link", name=link_name).click()
    page.wait_for_url(re.compile(re.escape(path) + r"\?next="))
    expect(page.locator(".purchase-banner")).to_contain_text(banner_says)


def sign_up_and_verify(
    page, smtp_mail, live_server, email: str, cycle: str = "Annual", shoot=None
) -> None:
    """Pricing -> choose the cycle -> Buy -> sign-up -> verify: ends on the plan's buy page."""
    shoot = shoot or (lambda name: None)
    chosen = f"You are buying Business Care, billed {BILLED[cycle.lower()]}"
    page.goto("/pricing/")
    page.get_by_role("link", name=cycle, exact=True).click()
    # The pricing page before the click has a Buy link too, for its own cycle: wait for the
    # chosen cycle's page, or the next click may follow the old page's link.
    page.wait_for_url(re.compile(r"cycle=" + cycle.lower()))
    shoot("pricing")
    page.get_by_role("link", name=re.compile("Buy Business Care")).click()
    # Not signed in: sign-up is offered first, with the plan named; sign-in is a link away.
    page.get_by_role("heading", name="Create your account to buy Business Care").wait_for()
    assert chosen in banner(page)
    assert "next=" in page.get_by_role("link", name="Sign in", exact=True).last.get_attribute(
        "href"
    )
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("short")
    page.get_by_role("button", name="Create account").click()
    page.locator("#id_password1_error").wait_for()
    shoot("signup-password-error")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    shoot("signup")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile("confirm-email|verification"))
    assert chosen in banner(page)
    shoot("verification-sent")
    link = verification_link(smtp_mail, email)
    page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url))
    assert chosen in banner(page)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_url(re.compile(r"/buy/business-care/\?cycle=" + cycle.lower()))


def fill_profile(page, cycle: str = "Annual", shoot=None) -> None:
    open_from_buy_page(
        page,
        "Complete your profile",
        "/account/profile/",
        f"You are buying Business Care, billed {BILLED[cycle.lower()]}",
    )
    (shoot or (lambda name: None))("profile")
    page.locator("#id_company").fill("Visitor Ltd")
    page.locator("#id_address_line1").fill("2 Harbour Road")
    page.locator("#id_city").fill("Leeds")
    page.locator("#id_postal_code").fill("LS1 1AA")
    page.locator("#id_country").select_option("GB")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(re.compile("/buy/business-care/"))


def add_card(page, number: str) -> None:
    page.locator("#id_number").fill(number)
    page.locator("#id_exp_month").fill("12")
    page.locator("#id_exp_year").fill(YEAR)
    page.locator("#id_cvc").fill("123")
    page.get_by_role("button", name="Save card").click()


def test_a_new_visitor_buys_the_plan_and_cycle_chosen_on_the_pricing_page(
    page, smtp_mail, live_server, screenshot, settings
):
    settings.SITE_URL = live_server.url
    plan_with_prices()
    sign_up_and_verify(page, smtp_mail, live_server, "visitor@example.com", cycle="Quarterly")
    confirm = page.get_by_role("button", name="Confirm purchase")
    assert confirm.is_disabled()
    assert page.locator("#confirm-blocked").inner_text() == (
        "Add your billing address and a card to confirm."
    )
    fill_profile(page, cycle="Quarterly")
    open_from_buy_page(page, "Add a card", "/account/card/", "billed quarterly")
    add_card(page, "4242 4242 4242 4242")
    page.wait_for_url(re.compile(r"/buy/business-care/\?cycle=quarterly"))
    screenshot("purchase-ready")
    # The cycle chosen on the pricing page is already the chosen one: nothing to pick again.
    expect(page.get_by_role("radio", name=re.compile("^Quarterly"))).to_be_checked()
    expect(confirm).to_be_enabled()
    confirm.click()
    page.get_by_text("Thank you for your order: Business Care, billed quarterly.").wait_for()
    screenshot("purchase-confirmed")
    subscription = Subscription.objects.get(customer__user__email="visitor@example.com")
    assert subscription.cycle == "quarterly"
    step = JourneyStep.objects.get(customer=subscription.customer, step=Step.CARD_AND_CYCLE)
    assert step.state == StepState.DONE


def test_a_declined_card_is_explained_and_nothing_is_bought(
    page, smtp_mail, live_server, screenshot, settings
):
    settings.SITE_URL = live_server.url
    plan_with_prices()
    sign_up_and_verify(page, smtp_mail, live_server, "declined@example.com")
    fill_profile(page)
    page.get_by_role("link", name="Add a card").click()
    add_card(page, "4000 0000 0000 0002")
    # Under the card number field (the form's error summary repeats it, linked to the field).
    page.locator("#id_number_error", has_text="Your card was declined").wait_for()
    expect(page.locator(".error-summary a[href='#id_number']")).to_be_visible()
    screenshot("card-declined")
    expect(page.locator("#id_number")).to_have_value("")
    assert not Subscription.objects.exists()
    step = JourneyStep.objects.get(
        customer__user__email="declined@example.com", step=Step.CARD_AND_CYCLE
    )
    assert step.state == StepState.FAILED
