"""The staff console in German in a real browser, at a desk (1280 px) and on a phone (390 px)
(docs/i18n.md, "The staff console (German)"): the staff home, the acceptance console and a
contract's acceptance, the health queue and the risk board for a member of staff whose console
language is German. German headings, buttons and table labels; nothing wider than the screen
(German words are long). Screenshots: var/screenshots/i18n-de-staff-<page>[-phone].png."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.timers import timers_fire_due
from onboarding.accounts.models import User
from onboarding.health.services import customer_health_recompute
from tests.acceptance.conftest import active_contract
from tests.browser.fitting import SIZES, fits_the_screen
from tests.browser.sessions import signed_in_context
from tests.factories import staff_user
from tests.health.conftest import overdue_invoice
from tests.health.shown import a_customer, counted, scored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    engineer, manager = staff_user(), staff_user("manager")
    User.objects.filter(pk=manager.pk).update(staff_language="de")
    red = active_contract(number="CTR-2026-000501")
    requirement_add(
        contract=red,
        actor=engineer,
        title="Fernzugang zum Rechenzentrum",
        criteria="Die VPN-Verbindung erreicht den Server",
        rating="red",
    )
    late = active_contract(number="CTR-2026-000502")
    requirement_add(contract=late, actor=engineer, title="Ersatzteile", criteria="da", rating="red")
    timers_fire_due(now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1))
    for company, costs, trend in (
        ("Nordwind Logistik GmbH", {"payment": 30, "acceptance": 20, "service": 20}, -18),
        ("Contoso Pharma AG", {"card": 10, "contract": 15}, 3),
        ("Fabrikam Labor KG", {}, 0),
    ):
        scored(a_customer(company), costs=costs, trend=trend, history=[(50, 80)])
    # A score the system computes (its factors record parts): worded in German on the queue.
    late_payer = active_contract(number="CTR-2026-000503")
    overdue_invoice(late_payer, days_late=34)
    customer_health_recompute(customer_id=late_payer.customer_id)
    counted()
    return {"manager": User.objects.get(pk=manager.pk), "red": red}


def test_the_german_staff_console(playwright_browser, live_server, world, screenshot_dir):
    red = world["red"]
    for suffix, size in SIZES.items():
        context = signed_in_context(playwright_browser, live_server, world["manager"], **size)
        try:
            page = context.new_page()

            page.goto(reverse("staff:home"))
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.get_by_role("heading", name="Mitarbeiterkonsole")).to_be_visible()
            expect(page.get_by_role("heading", name="Hintergrundaufgaben")).to_be_visible()
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-staff-home{suffix}.png"), full_page=True
            )

            page.goto(reverse("acceptance:console"))
            expect(page.get_by_role("heading", name="Abnahme", exact=True)).to_be_visible()
            expect(page.get_by_role("button", name="Anzeigen")).to_be_visible()
            row = page.locator(f'tr[data-contract="{red.pk}"]')
            expect(row.locator("td").nth(3)).to_contain_text("1 rot · 0 gelb · 0 grün")
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-staff-acceptance{suffix}.png"), full_page=True
            )

            page.goto(reverse("acceptance:contract", args=[red.pk]))
            expect(page.get_by_role("heading", name=f"Abnahme von {red}")).to_be_visible()
            expect(page.get_by_role("heading", name="Nächster Schritt")).to_be_visible()
            expect(page.get_by_role("button", name="Bestätigen", exact=True)).to_be_visible()
            expect(page.locator("#requirements-summary")).to_contain_text("1 rot")
            expect(page.get_by_role("button", name="Bewerten")).to_be_visible()
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-staff-contract-acceptance{suffix}.png"),
                full_page=True,
            )

            page.goto(reverse("health:queue"))
            expect(page.get_by_role("heading", name="Kundengesundheit")).to_be_visible()
            expect(page.get_by_text("minus 18 Punkte")).to_be_visible()
            expect(page.locator("main")).to_contain_text("1 Rechnung seit 34 Tagen überfällig")
            expect(page.get_by_role("button", name="Anzeigen")).to_be_visible()
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-staff-health{suffix}.png"), full_page=True
            )

            page.goto(reverse("risk:board"))
            expect(page.get_by_role("heading", name="Risikotafel")).to_be_visible()
            expect(page.get_by_role("heading", name="Offene Risiken")).to_be_visible()
            expect(page.get_by_role("button", name="Erledigen").first).to_be_visible()
            expect(page.locator("main")).to_contain_text(
                "Rote Abnahme des Vertrags CTR-2026-000501 bis"
            )
            expect(page.locator("#live-state")).to_have_text("live")
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-staff-risk{suffix}.png"), full_page=True
            )
        finally:
            context.close()
