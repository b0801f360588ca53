"""A German customer's pricing page in a real browser at desktop and phone width: the plans'
summary and "includes" in German (catalogue data, docs/i18n.md), the country in German, the role
in the header in German, nothing wider than the phone. Screenshots:
var/screenshots/i18n-de-pricing[-phone].png."""

import pytest
from playwright.sync_api import expect

from onboarding.accounts.models import Customer
from tests.browser.fitting import SIZES, fits_the_screen
from tests.browser.sessions import signed_in_context
from tests.catalog.test_catalogue_languages import FRENCH, GERMAN
from tests.contracts.conftest import paying_customer
from tests.factories import complete_profile, plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_german_customers_pricing_page(playwright_browser, live_server, screenshot_dir):
    plan = plan_with_prices("business-care")
    plan.translations = {"de": GERMAN, "fr": FRENCH}
    plan.save()
    user = paying_customer(email="preise@example.com")
    complete_profile(user.customer, country="DE", city="Berlin", company="Kunde GmbH")
    Customer.objects.filter(pk=user.pk).update(language="de")
    for suffix, size in SIZES.items():
        context = signed_in_context(playwright_browser, live_server, user, **size)
        try:
            page = context.new_page()
            page.goto("/pricing/?cycle=monthly")
            expect(page.locator("html")).to_have_attribute("lang", "de")
            card = page.locator("article.plan[data-plan=business-care]")
            expect(card).to_contain_text(GERMAN["summary"])
            expect(card.locator("ul.includes li")).to_have_text(GERMAN["includes"].splitlines())
            expect(card).not_to_contain_text("Business-hours support")
            expect(page.locator(".country-fixed")).to_contain_text("Deutschland")
            expect(page.locator(".who")).to_contain_text("Kunde")
            fits_the_screen(page)
            page.screenshot(
                path=str(screenshot_dir / f"i18n-de-pricing{suffix}.png"), full_page=True
            )
        finally:
            context.close()
