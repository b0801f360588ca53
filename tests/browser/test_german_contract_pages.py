"""A German customer's contracts, a request with its SLA clocks, and the contacts page, in a real
browser at desktop and phone width (docs/i18n.md): German headings, buttons and table labels,
nothing wider than the phone's screen (German words are long). Screenshots:
var/screenshots/i18n-de-<page>[-phone].png."""

import pytest
from playwright.sync_api import expect

from onboarding.accounts.models import Contact, Customer
from tests.browser.fitting import SIZES, fits_the_screen
from tests.browser.sessions import signed_in_context
from tests.contracts.conftest import deliver_inline, paying_customer
from tests.contracts.conftest import subscribe as subscribe_paid
from tests.factories import UserFactory, plan_with_prices
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _german(user) -> None:
    Customer.objects.filter(pk=user.pk).update(language="de")


def test_a_german_customers_contract_pages(playwright_browser, live_server, media, screenshot_dir):
    user = paying_customer(email="vertrag@example.com")
    contract = deliver_inline(subscribe_paid(user, plan_with_prices("business-care")))
    _german(user)
    for suffix, size in SIZES.items():
        context = signed_in_context(playwright_browser, live_server, user, **size)
        try:
            page = context.new_page()
            page.goto("/account/contracts/")
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.get_by_role("heading", name="Ihre Verträge")).to_be_visible()
            expect(page.get_by_role("link", name=contract.number)).to_be_visible()
            expect(page.locator("td[data-label=Status] .badge")).to_have_text("Versendet")
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-contracts{suffix}.png"), full_page=True
            )

            page.get_by_role("link", name=contract.number).click()
            heading = page.get_by_role("heading", name=f"Vertrag {contract.number}")
            expect(heading).to_be_visible()
            expect(page.get_by_role("heading", name="Diesen Vertrag bestätigen")).to_be_visible()
            expect(page.get_by_role("button", name="Bestätigen", exact=True)).to_be_visible()
            expect(page.get_by_text("Vertrag verwalten")).to_be_visible()
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-contract{suffix}.png"), full_page=True
            )
        finally:
            context.close()


def test_a_german_customers_request_and_contacts(playwright_browser, live_server, screenshot_dir):
    user = UserFactory(email="kunde@example.com", first_name="Karla", last_name="Kunde")
    test_clock = new_test_clock()
    subscription = subscribe_on_clock(user, plan_with_sla_terms(), test_clock)
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(
            subscription,
            summary="Das Dashboard lädt nicht",
            description="Seit heute Morgen zeigt das Dashboard eine leere Seite.",
        )
    Contact.objects.create(
        customer=user.customer,
        name="Bea Buchhaltung",
        role="Abrechnung",
        email="bea.buchhaltung@example.com",
        phone="+4930123456",
    )
    _german(user)
    for suffix, size in SIZES.items():
        context = signed_in_context(playwright_browser, live_server, user, **size)
        try:
            page = context.new_page()
            page.goto(f"/account/requests/{request.pk}/")
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.get_by_role("heading", name="Service-Level")).to_be_visible()
            clock = page.locator("[data-clock=first_response]")
            expect(clock).to_contain_text("Erste Antwort fällig bis")
            expect(clock).to_contain_text("Mo\u2013Fr 08:00\u201318:00 Europe/Berlin")
            expect(page.get_by_role("heading", name="Verlauf")).to_be_visible()
            expect(page.get_by_role("button", name="Antwort senden")).to_be_visible()
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-request{suffix}.png"), full_page=True
            )

            page.goto("/account/contacts/")
            expect(page.get_by_role("heading", name="Kontakte", exact=True)).to_be_visible()
            expect(page.get_by_role("button", name="Kontakt hinzufügen")).to_be_visible()
            expect(page.locator("td[data-label=Rolle]")).to_have_text("Abrechnung")
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-contacts{suffix}.png"), full_page=True
            )

            # Bad input: German errors under the fields, and the summary above the form.
            page.get_by_role("button", name="Kontakt hinzufügen").click()
            expect(page.locator(".error-summary")).to_contain_text("Probleme")
            expect(page.locator("[data-field=name] .field-error")).to_have_text(
                "Dieses Feld ist zwingend erforderlich."
            )
            fits_the_screen(page)
        finally:
            context.close()
