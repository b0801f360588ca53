"""A German manager's staff desk in a real browser at desktop and phone width (docs/i18n.md): the
full customer view, the request queue, a request, a staff invoice and the service credits, with
German headings, buttons and table labels, nothing wider than the phone's screen (German words
are long). Screenshots: var/screenshots/i18n-de-staff-<page>[-phone].png."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.accounts.models import User
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.sysops.models import ServiceCredit
from tests.browser.fitting import SIZES, fits_the_screen
from tests.browser.sessions import signed_in_context
from tests.factories import staff_user
from tests.sysops.conftest import open_request, subscribe, today
from tests.sysops.sla_terms import breach, credit_terms, plan_with_sla_terms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, screenshot_dir, name: str, suffix: str) -> None:
    fits_the_screen(page)
    page.screenshot(path=str(screenshot_dir / f"i18n-de-staff-{name}{suffix}.png"), full_page=True)


def test_a_german_managers_staff_desk(playwright_browser, live_server, customer, screenshot_dir):
    manager = staff_user("manager")
    User.objects.filter(pk=manager.pk).update(staff_language="de")
    manager = User.objects.get(pk=manager.pk)
    plan = plan_with_sla_terms()
    credit_terms(plan)
    subscription = subscribe(customer, plan)
    bill_run_execute(run_date=today())
    request = open_request(
        subscription, summary="Dashboard lädt nicht", description="Seit heute früh leer."
    )
    breach(request)
    credit = ServiceCredit.objects.get()
    invoice = Invoice.objects.get(subscription=subscription)

    for suffix, size in SIZES.items():
        context = signed_in_context(playwright_browser, live_server, manager, **size)
        try:
            page = context.new_page()
            page.goto(reverse("sysops:customer", args=[subscription.customer.pk]))
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.get_by_role("heading", name="Adresse und Kontakte")).to_be_visible()
            expect(page.get_by_role("heading", name="Zahlungsplan")).to_be_visible()
            expect(page.get_by_role("heading", name="Offene Anfragen")).to_be_visible()
            expect(page.get_by_text("Tarif oder Menge ändern")).to_be_visible()
            _shot(page, screenshot_dir, "customer", suffix)

            page.goto(reverse("sysops:request_queue"))
            # The long German word carries soft hyphens: it breaks where German breaks it.
            heading = page.locator("h1")
            expect(heading).to_have_js_property(
                "textContent", "Reparatur- und Fehler\u00adsuch\u00adanfragen"
            )
            expect(page.get_by_role("button", name="Filtern")).to_be_visible()
            expect(page.get_by_role("link", name=request.reference)).to_be_visible()
            _shot(page, screenshot_dir, "requests", suffix)

            page.get_by_role("link", name=request.reference).click()
            expect(page.get_by_role("heading", name="Service-Level")).to_be_visible()
            expect(page.get_by_role("button", name="Kommentar hinzufügen")).to_be_visible()
            expect(page.get_by_role("button", name="Status ändern")).to_be_visible()
            expect(page.get_by_text("eine Führungskraft entscheidet")).to_be_visible()
            _shot(page, screenshot_dir, "request", suffix)

            page.goto(reverse("billing:staff_invoice", args=[invoice.pk]))
            expect(page.get_by_role("heading", name="Gutschriften")).to_be_visible()
            expect(page.get_by_role("button", name="Erstatten")).to_be_visible()
            _shot(page, screenshot_dir, "invoice", suffix)

            page.goto(reverse("sysops:service_credits"))
            expect(page.get_by_role("heading", name="Service-Gutschriften")).to_be_visible()
            expect(page.get_by_role("link", name=credit.reference)).to_be_visible()
            expect(page.get_by_text("Vorgeschlagen", exact=True).first).to_be_visible()
            _shot(page, screenshot_dir, "service-credits", suffix)
        finally:
            context.close()
