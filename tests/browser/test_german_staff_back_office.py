"""The staff console's back office in German, in a real browser at desktop and phone width
(docs/i18n.md): an admin whose console language is German sees the alerts (list and one
alert), the audit log, the outbox, the webhooks, the test clocks and the background tasks with
German headings, buttons and column names, and nothing wider than the phone's screen (German
words are long). Screenshots: var/screenshots/i18n-de-staff-<page>[-phone].png."""

import pytest
from playwright.sync_api import expect

from onboarding.accounts.models import User
from onboarding.alerts.services import admin_alert_raise
from onboarding.core.roles import Role
from onboarding.testclocks.services import clock_create
from onboarding.webhooks.services import endpoint_create
from tests.browser.fitting import SIZES, fits_the_screen
from tests.browser.sessions import signed_in_context
from tests.factories import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, screenshot_dir, name: str, suffix: str) -> None:
    fits_the_screen(page)
    page.screenshot(path=str(screenshot_dir / f"i18n-de-staff-{name}{suffix}.png"), full_page=True)


def test_a_german_admins_back_office(playwright_browser, live_server, screenshot_dir):
    admin = staff_user(Role.ADMIN)
    User.objects.filter(pk=admin.pk).update(staff_language="de")
    admin = User.objects.get(pk=admin.pk)
    alert = admin_alert_raise(
        reason="payment.declined",
        message="The card ending 4242 was declined",
        object_type="billing.invoice",
        object_id="7",
        severity="warning",
        context={"decline_code": "card_declined"},
    )
    admin_alert_raise(reason="tax_rate_missing", message="No VAT rate for AT", severity="critical")
    endpoint_create(actor=admin, url="http://127.0.0.1:9/hooks/crm", description="CRM")
    test_clock = clock_create(actor=admin, name="Jahreswechsel")

    for suffix, size in SIZES.items():
        context = signed_in_context(playwright_browser, live_server, admin, **size)
        try:
            page = context.new_page()
            page.goto("/staff/alerts/")
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.get_by_role("heading", name="Administrator-Alarme")).to_be_visible()
            expect(page.get_by_role("button", name="Filtern")).to_be_visible()
            expect(page.locator("#alert-list td[data-label=Schweregrad]").first).to_be_visible()
            _shot(page, screenshot_dir, "alerts", suffix)

            page.goto(f"/staff/alerts/{alert.pk}/")
            expect(page.get_by_role("heading", name=f"Alarm Nr. {alert.pk}")).to_be_visible()
            expect(page.get_by_role("button", name="Quittieren")).to_be_visible()
            expect(page.get_by_role("button", name="Erledigen")).to_be_visible()
            _shot(page, screenshot_dir, "alert", suffix)

            page.goto("/staff/audit/")
            expect(page.get_by_role("heading", name="Prüfprotokoll")).to_be_visible()
            expect(page.get_by_label("E-Mail des Akteurs")).to_be_visible()
            expect(page.locator("td[data-label=Aktion]").first).to_be_visible()
            _shot(page, screenshot_dir, "audit", suffix)

            page.goto("/staff/mail/outbox/")
            expect(page.get_by_role("heading", name="Postausgang", exact=True)).to_be_visible()
            expect(page.get_by_label("Thema, Adresse oder Betreff")).to_be_visible()
            expect(page.locator("td[data-label=Thema]").first).to_be_visible()
            _shot(page, screenshot_dir, "outbox", suffix)

            page.goto("/staff/webhooks/")
            expect(page.get_by_role("heading", name="Endpunkt registrieren")).to_be_visible()
            expect(page.get_by_role("button", name="Registrieren")).to_be_visible()
            expect(page.locator("td[data-label=Status] .badge").first).to_have_text("aktiv")
            _shot(page, screenshot_dir, "webhooks", suffix)

            page.goto("/staff/test-clocks/")
            expect(page.get_by_role("heading", name="Testuhren")).to_be_visible()
            expect(page.get_by_role("link", name="Jahreswechsel")).to_be_visible()
            _shot(page, screenshot_dir, "testclocks", suffix)

            page.get_by_role("link", name="Jahreswechsel").click()
            expect(page).to_have_url(f"{live_server.url}/staff/test-clocks/{test_clock.pk}/")
            expect(page.get_by_role("heading", name="Testkunden anlegen")).to_be_visible()
            expect(page.get_by_role("button", name="Vorstellen")).to_be_visible()
            _shot(page, screenshot_dir, "testclock", suffix)

            page.goto("/staff/tasks/")
            expect(page.get_by_role("heading", name="Hintergrundaufgaben")).to_be_visible()
            expect(page.get_by_text("jetzt bereit zur Ausführung")).to_be_visible()
            _shot(page, screenshot_dir, "worker", suffix)
        finally:
            context.close()
