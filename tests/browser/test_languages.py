"""The customer's pages in their language, in a real browser (docs/i18n.md): a German customer's
account and profile pages are German (screenshots in var/screenshots/i18n-de-*.png), and a
signed-out visitor switches the site to French with the footer's language switcher."""

import re

import pytest
from playwright.sync_api import expect

from onboarding.accounts.models import Customer
from tests.browser.sessions import signed_in_context
from tests.factories import UserFactory, plan_with_prices
from tests.sysops.conftest import subscribe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# What the account page said in English; none of it may be left on the German page.
ENGLISH_HEADINGS = ["Your onboarding", "Billing details", "Card on file", "Your plans", "Sign out"]


@pytest.fixture
def german_customer(db):
    user = UserFactory(email="kunde@example.com", first_name="Karla", last_name="Kunde")
    subscribe(user, plan_with_prices())
    Customer.objects.filter(pk=user.pk).update(language="de")
    return user


def test_a_german_customers_pages_are_german(
    playwright_browser, live_server, german_customer, screenshot_dir
):
    context = signed_in_context(
        playwright_browser, live_server, german_customer, width=1280, height=900
    )
    try:
        page = context.new_page()
        page.goto("/account/")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", name="Ihr Onboarding")).to_be_visible()
        expect(page.get_by_role("heading", name="Rechnungsdaten")).to_be_visible()
        expect(page.get_by_role("heading", name="Ihre Tarife")).to_be_visible()
        expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
        # Money as a German reader in the customer's country writes it: a decimal comma.
        expect(page.locator(".subscription p").first).to_contain_text(re.compile(r"\d,\d\d"))
        body = page.locator("main").inner_text()
        for english in ENGLISH_HEADINGS:
            assert english not in body, english
        page.screenshot(path=str(screenshot_dir / "i18n-de-account.png"), full_page=True)

        page.goto("/account/profile/")
        expect(page.get_by_role("heading", name="Ihr Profil")).to_be_visible()
        expect(page.get_by_label("Postleitzahl")).to_be_visible()
        expect(page.locator("#id_language")).to_have_value("de")
        expect(page.locator("label[for=id_language]")).to_contain_text("Sprache")
        expect(page.get_by_role("button", name="Profil speichern")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "i18n-de-profile.png"), full_page=True)
    finally:
        context.close()


def test_a_visitor_switches_the_site_to_french(page, screenshot):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#language-switch").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(page.locator("#language-switch")).to_have_value("fr")
    expect(page.locator("label[for=language-switch]")).to_have_text("Langue")
    screenshot("i18n-fr-home")
