"""A German customer's billing pages in a real browser (docs/i18n.md): the invoices list, an
invoice, the plan change with a bad quantity and a preview, and the card form with bad input, at
desktop and phone width. Screenshots: var/screenshots/i18n-de-<page>[-390].png. At 390 px no page
is wider than the screen and no button's German label overflows it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from onboarding.accounts.models import Customer
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from tests.billing.conftest import bought, ready_customer
from tests.browser.sessions import sign_in
from tests.factories import DEFAULT_PASSWORD, UserFactory, plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
# Buttons and button-like links whose text is wider than the button itself (cut or spilling).
SPILLING = """() => [...document.querySelectorAll('main button, main a.button, main .badge')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim())"""
ENGLISH = [
    "Your invoices",
    "Summary",
    "Billed to",
    "Subtotal",
    "Download PDF",
    "Card number",
    "Security code",
    "Change plan or quantity",
    "What changes",
    "before tax",
    "Paid",
    "There is a problem",
    "problems to fix",
]


@pytest.fixture
def german(db):
    user = UserFactory(email="kunde@example.com", first_name="Karla", last_name="Kunde")
    plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    customer = ready_customer(user, country="DE", city="Berlin", company="Kunde GmbH")
    subscription = bought(customer, plan_with_prices(), anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    Customer.objects.filter(pk=user.pk).update(language="de")
    return subscription


@pytest.mark.parametrize("width", [1280, 390])
def test_a_german_customer_walks_the_billing_pages(
    playwright_browser, live_server, german, screenshot_dir, width
):
    invoice = Invoice.objects.get(subscription=german)
    context = playwright_browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    sign_in(context, live_server, german.customer.user, password_again=DEFAULT_PASSWORD)
    page = context.new_page()
    suffix = "" if width == 1280 else f"-{width}"

    def check_and_shoot(name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", "de")
        body = page.locator("main").inner_text()
        for english in ENGLISH:
            assert english not in body, (name, english)
        assert page.evaluate(FITS), f"{name} is wider than {width} px"
        assert page.evaluate(SPILLING) == [], name
        page.screenshot(path=str(screenshot_dir / f"i18n-de-{name}{suffix}.png"), full_page=True)

    try:
        page.goto(reverse("billing:invoices"))
        expect(page.get_by_role("heading", name="Ihre Rechnungen")).to_be_visible()
        expect(page.locator("table.invoices")).to_contain_text("Bezahlt")
        check_and_shoot("invoices")

        page.get_by_role("link", name=invoice.number).click()
        expect(page.get_by_role("heading", name="Zusammenfassung")).to_be_visible()
        expect(page.get_by_role("heading", name="Rechnungsempfänger")).to_be_visible()
        expect(page.locator("#invoice")).to_contain_text(re.compile(r"\d,\d\d\s€"))
        check_and_shoot("invoice")

        page.goto(reverse("billing:plan_change", args=[german.pk]))
        expect(page.get_by_role("heading", name="Tarif oder Menge ändern")).to_be_visible()
        page.locator("#id_quantity").fill("-1")
        page.get_by_role("button", name="Kosten anzeigen", exact=True).click()
        expect(page.locator(".field-error").first).to_contain_text("größer oder gleich 0")
        check_and_shoot("plan-change-error")
        page.locator("#id_plan").select_option("enterprise-care")
        page.locator("#id_quantity").fill("1")
        page.get_by_role("button", name="Kosten anzeigen", exact=True).click()
        expect(page.get_by_role("heading", name="Was sich ändert")).to_be_visible()
        expect(
            page.get_by_role("button", name=re.compile(r"^Bestätigen und .* bezahlen$"))
        ).to_be_visible()
        check_and_shoot("plan-change")

        page.goto(reverse("payments:card"))
        expect(page.get_by_role("heading", name="Karte ersetzen")).to_be_visible()
        expect(page.locator("main")).to_contain_text("gültig bis")
        page.locator("#id_number").fill("4242 4242 4242 4242")
        page.locator("#id_exp_month").fill("13")
        page.get_by_role("button", name="Karte ersetzen").click()
        expect(page.locator("#id_exp_month-error, .field-error").first).to_be_visible()
        expect(page.locator("main")).to_contain_text("kleiner oder gleich 12")
        check_and_shoot("card")
    finally:
        context.close()
