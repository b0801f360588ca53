"""What a first-time buyer meets, looked at on a phone (390x844): the confirmation pages, the
sign-up's password messages, an expired card, a VAT number without a known prefix, an invoice
billed to an email address, and the account page's billing cycle. A screenshot of each goes to
var/screenshots/walk-390-<page>.png for a person to look at."""

import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from tests.billing.conftest import buy, ready_customer, today
from tests.browser.conftest import SCREENSHOTS
from tests.browser.sessions import signed_in_context
from tests.factories import UserFactory, plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
PASSWORD = "a long and unusual passphrase"


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"walk-390-{name}.png"), full_page=True)


def test_the_sign_up_and_confirmation_pages_on_a_phone(playwright_browser, live_server, settings):
    settings.ACCOUNT_FORMS = {
        **settings.ACCOUNT_FORMS,
        "signup": "onboarding.accounts.forms.SignupForm",
    }
    context = playwright_browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(reverse("account_signup"))
        page.locator("#id_email").fill("walker@example.com")
        page.locator("#id_password1").fill("password")
        page.locator("#id_password2").fill("passwort")
        page.get_by_role("button", name="Create account").click()
        page.locator("#id_password2_error").wait_for()
        expect(page.locator("#id_password1_error")).to_have_count(1)
        _shoot(page, "signup-password")

        page.locator("#id_password1").fill(PASSWORD)
        page.locator("#id_password2").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        expect(page.get_by_role("link", name="support@onboarding.test")).to_be_visible()
        _shoot(page, "check-your-email")

        # Confirmed on another device: the waiting tab, reloaded, goes on to sign in.
        address = EmailAddress.objects.get(email="walker@example.com")
        link = reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
        assert Client().post(link).status_code == 302
        page.reload()
        page.wait_for_url(re.compile(re.escape(reverse("account_login"))))
        _shoot(page, "after-confirmed-elsewhere")

        page.goto(link)
        page.get_by_text("This email address is already confirmed").wait_for()
        _shoot(page, "link-opened-again")
    finally:
        context.close()


def test_the_account_pages_a_buyer_meets_on_a_phone(playwright_browser, live_server):
    plan = plan_with_prices()
    user = UserFactory(first_name="", last_name="")
    buy(ready_customer(user, company=""), plan, "annual")
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(customer=user.customer)
    context = signed_in_context(playwright_browser, live_server, user, **PHONE)
    page = context.new_page()
    try:
        page.goto(reverse("billing:invoice", args=[invoice.pk]))
        billed_to = page.locator("address").inner_text()
        assert billed_to.count(user.email) == 1
        assert "Bristol BS1 4DJ" in billed_to
        _shoot(page, "invoice")

        page.goto(reverse("accounts:home"))
        options = page.locator("select[name=cycle] option").all_inner_texts()
        assert [o.split(" ")[0] for o in options] == ["Monthly", "Quarterly", "Annual"]
        page.locator("select[name=cycle]").select_option("monthly")
        page.get_by_role("button", name="Change cycle").click()
        page.locator(".message.success").get_by_text(
            re.compile(r"changes to monthly on \d+ \w+ \d{4}")
        ).wait_for()
        # The plan on the account page says the same day while the change waits.
        page.locator(".subscription").get_by_text(
            re.compile(r"changes to monthly on \d+ \w+ \d{4}, when the next period starts")
        ).wait_for()
        _shoot(page, "cycle-changed")

        page.goto(reverse("billing:invoice_pay", args=[invoice.pk]))
        page.wait_for_url(re.compile(re.escape(reverse("billing:invoice", args=[invoice.pk]))))

        page.goto(reverse("accounts:profile"))
        page.locator("#id_vat_number").fill("XX12")
        page.get_by_role("button", name="Save profile").click()
        page.get_by_text("XX is not a country prefix").first.wait_for()
        _shoot(page, "profile-vat")
    finally:
        context.close()


def test_an_expired_card_on_a_phone(playwright_browser, live_server):
    user = UserFactory()
    context = signed_in_context(playwright_browser, live_server, user, **PHONE)
    page = context.new_page()
    try:
        page.goto(reverse("payments:card"))
        page.locator("#id_number").fill("4242 4242 4242 4242")
        page.locator("#id_exp_month").fill("1")
        page.locator("#id_exp_year").fill("2020")
        page.locator("#id_cvc").fill("123")
        page.get_by_role("button", name="Save card").click()
        page.get_by_text("This card expired in January 2020.").first.wait_for()
        _shoot(page, "card-expired")
    finally:
        context.close()
