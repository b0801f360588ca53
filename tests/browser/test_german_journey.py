"""The whole journey once in German (issue 20, docs/i18n.md): a first-time buyer whose browser
speaks German (locale de-DE, Accept-Language de) goes from the pricing page through sign-up, the
email verification (the link read from the test mail drop), the purchase, a card on file, a
billing cycle, the invoice's payment, the contract and its acknowledgement, the inbox, and the
invoice and contract PDFs. On every page, the visible text of the header, the main content and
the footer holds no English word (beyond names: the brand, the plan and product, the buyer's own
address and company, the card's brand), and the PDFs' text (pypdf) is German.

Screenshots: var/screenshots/i18n-de-journey-<NN>-<step>.png at 1280 px, and the main pages again
at 390 px (`-390`), where nothing may be wider than the screen."""

import io
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from onboarding.accounts.models import PreferredInbox
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, Subscription
from onboarding.contracts.models import Contract
from tests.billing.conftest import run_tasks, today
from tests.browser.conftest import SCREENSHOTS
from tests.browser.fitting import fits_the_screen
from tests.browser.test_purchase_journey import PASSWORD, YEAR, verification_link
from tests.factories import plan_with_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "kaeufer@example.com"
COMPANY = "Muster Technik GmbH"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Words of the English pages that German never uses: any of them in a German page's visible text
# is a string left untranslated. Whole words, case-sensitive where German has the same letters
# with a capital (German nouns: "Plan", "Team", "Service", "Status", "Code", "Details", "Name"
# are German too, so they are not here; neither are "in", "an", "so", "also", "man", "war").
_ENGLISH = """
    the The your Your you You and with With for For from From this This that That these
    are is was were will have has not can cannot could should would been being
    to of on at by or if it its our we We us here Here there when When what What which
    please Please thank Thank thanks Thanks welcome Welcome
    Sign sign signed Signing Create Confirm confirm Confirmed Continue continue Cancel
    Save Change change Choose choose Add add Remove Back Next Previous Edit Open Close
    Pay pay Paid paid Due due Buy buy Bought Order order ordered Download download Send
    Invoice Invoices invoice invoices Contract Contracts contract contracts Payment payment
    Card card cards Account account Profile Contacts Requests Request Inbox Pricing Home
    Password password Language Email email Settings Help Terms Privacy Summary Total
    Monthly Quarterly Annual monthly quarterly annually month year Year Month billed Billed
    cycle Cycle plan Price price Tax tax Amount Number Issued issued Period period
    Acknowledge Acknowledged acknowledged Unread Read Mark all new New
    Customer Company Address City Country Postal Phone Required required Expiry Security
    Step steps Done Needed Ready ready support hours phone Remote troubleshooting annual
    VAT Street expires expired
"""
ENGLISH_WORDS = frozenset(_ENGLISH.split())


def visible_text(page) -> str:
    """What a reader sees of the page: the header, the main content and the footer; of a select,
    only its chosen option (the others show only when it is opened)."""
    hidden = set(page.locator("select option:not(:checked)").all_inner_texts())
    text = "\n".join(
        part.inner_text()
        for part in page.locator("header, main, footer").all()
        if part.is_visible()
    )
    return "\n".join(line for line in text.splitlines() if line.strip() not in hidden)


def english_left(text: str, allowed: list[str]) -> list[str]:
    """The English words left in `text` once the names and pending items are cut out."""
    for name in sorted(allowed, key=len, reverse=True):
        text = text.replace(name, " ")
    # Links and addresses written out are not prose (an email's "…/account/contracts/1/").
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    words = re.findall(r"[A-Za-zÄÖÜäöüß]+(?:'[a-z]+)?", text)
    return sorted({word for word in words if word in ENGLISH_WORDS})


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


class Journey:
    """The buyer's browser and what the journey checks on every page it stops at."""

    def __init__(self, page, allowed: list[str]):
        self.page = page
        self.allowed = allowed
        self.step = 0
        self.leftovers: dict[str, list[str]] = {}

    def look(self, name: str, *, page=None, suffix: str = "") -> None:
        """Screenshot the page and note any English on it; at phone width (`suffix` "-390"),
        check too that nothing is wider than the screen."""
        page = page or self.page
        if not suffix:
            self.step += 1
        expect(page.locator("html")).to_have_attribute("lang", "de")
        shot = f"i18n-de-journey-{self.step:02d}-{name}{suffix}"
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
        if suffix:
            fits_the_screen(page)
        if found := english_left(visible_text(page), self.allowed):
            self.leftovers[f"{shot} ({page.url})"] = found


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def test_the_detector_finds_english_and_passes_german():
    assert english_left("Pay your invoice now", []) == ["Pay", "invoice", "your"]
    assert english_left("Bezahlen Sie Ihre Rechnung mit Ihrer Karte", []) == []
    assert english_left("Business Care: the plan", ["Business Care"]) == ["plan", "the"]
    assert english_left("Konto: https://example.com/account/ oder help@example.com", []) == []


def test_a_german_first_time_buyer_goes_the_whole_journey_in_german(
    playwright_browser, live_server, smtp_mail, media, settings
):
    settings.SITE_URL = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("i18n-de-journey-*.png"):
        old.unlink()
    plan = plan_with_prices()
    # A seller of German contracts writes its plan's prose in German (catalog/translations.py).
    plan.translations = {
        "de": {
            "summary": "Support zu Geschäftszeiten",
            "includes": "Support per E-Mail und Telefon\nFernwartung und Fehlersuche",
        }
    }
    plan.save(update_fields=["translations"])
    # Names: the brand, the plan and product, the buyer's address and company, the card's brand,
    # and the seller's address (settings; in the PDFs).
    seller = [
        *settings.BILLING_SELLER_ADDRESS.split("|"),
        *settings.CONTRACT_PROVIDER_ADDRESS.split("|"),
    ]
    allowed = ["Onboarding", plan.name, plan.product.name, EMAIL, COMPANY, "Visa", *seller]
    context = playwright_browser.new_context(
        base_url=live_server.url,
        viewport=DESKTOP,
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    journey = Journey(page, allowed)
    try:
        page.goto("/pricing/")
        journey.look("pricing")
        page.locator(f"a[href^='{reverse('billing:buy', args=[plan.slug])}']").first.click()

        # Sign-up, offered first; the language is preset to the browser's.
        page.locator("#id_email").wait_for()
        expect(page.locator("#id_language")).to_have_value("de")
        journey.look("signup")
        page.locator("#id_email").fill(EMAIL)
        page.locator("#id_password1").fill("kurz")
        page.locator("#id_password2").fill("anders")
        page.get_by_role("button", name="Konto erstellen").click()
        expect(page.locator("#id_password2_error")).to_be_visible()
        journey.look("signup-errors")
        page.locator("#id_password1").fill(PASSWORD)
        page.locator("#id_password2").fill(PASSWORD)
        page.get_by_role("button", name="Konto erstellen").click()
        expect(page.get_by_role("heading", name="Prüfen Sie Ihr E-Mail-Postfach")).to_be_visible()
        journey.look("verification-sent")

        link = verification_link(smtp_mail, EMAIL)
        page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url))
        expect(
            page.get_by_role("heading", name="Bestätigen Sie Ihre E-Mail-Adresse")
        ).to_be_visible()
        journey.look("confirm-email")
        page.get_by_role("button", name="Bestätigen", exact=True).click()
        page.wait_for_url(re.compile(r"/buy/"))
        journey.look("buy")

        page.get_by_role("link", name="Profil vervollständigen").click()
        page.locator("#id_company").wait_for()
        journey.look("profile")
        page.locator("#id_company").fill(COMPANY)
        page.locator("#id_address_line1").fill("Hafenstraße 2")
        page.locator("#id_city").fill("Hamburg")
        page.locator("#id_postal_code").fill("20457")
        page.locator("#id_country").select_option("DE")
        # Notices in the app's inbox (not by email), so the inbox has the purchase's to open.
        page.locator(f"input[name=preferred_inbox][value={PreferredInbox.IN_APP}]").check()
        page.get_by_role("button", name="Profil speichern").click()
        page.wait_for_url(re.compile(r"/buy/"))

        page.locator(f"main a[href^='{reverse('payments:card')}']").first.click()
        page.locator("#id_number").wait_for()
        journey.look("card")
        page.locator("#id_number").fill("4242 4242 4242 4242")
        page.locator("#id_exp_month").fill("12")
        page.locator("#id_exp_year").fill(YEAR)
        page.locator("#id_cvc").fill("123")
        page.get_by_role("button", name="Karte speichern").click()
        page.wait_for_url(re.compile(r"/buy/"))
        journey.look("buy-ready")
        page.get_by_role("button", name="Kauf bestätigen").click()
        expect(page.get_by_text("Vielen Dank für Ihre Bestellung")).to_be_visible()
        journey.look("purchased")
        subscription = Subscription.objects.get(customer__user__email=EMAIL)

        # The back office: the first invoice, the contract.
        run_tasks()
        bill_run_execute(run_date=today())
        run_tasks()

        page.goto(reverse("accounts:home"))
        journey.look("account")
        page.locator("select[name=cycle]").select_option("monthly")
        page.get_by_role("button", name="Zeitraum ändern").click()
        expect(page.locator(".messages")).to_contain_text("monatlich")
        journey.look("cycle-changed")

        # The first invoice, charged to the card at the purchase: paid, and said so in German.
        invoice = Invoice.objects.get(subscription=subscription)
        page.goto(reverse("billing:invoices"))
        expect(page.get_by_role("link", name=invoice.number)).to_be_visible()
        journey.look("invoices")
        page.get_by_role("link", name=invoice.number).click()
        expect(page.locator("main")).to_contain_text("Bezahlt")
        journey.look("invoice")

        contract = Contract.objects.get(subscription=subscription)
        page.goto(reverse("contracts:list"))
        journey.look("contracts")
        page.get_by_role("link", name=contract.number).click()
        expect(page.get_by_role("heading", name="Diesen Vertrag bestätigen")).to_be_visible()
        journey.look("contract")
        page.locator("#id_name").fill("Klara Käufer")
        page.locator("#id_confirm").check()
        page.get_by_role("button", name="Bestätigen", exact=True).click()
        expect(page.locator(".messages")).to_be_visible()
        journey.look("contract-acknowledged")

        page.goto(reverse("notifications:inbox"))
        journey.look("inbox")
        page.locator("main td a[href^='/inbox/']").first.click()
        page.wait_for_url(re.compile(r"/inbox/\d+/"))
        journey.look("inbox-message")

        # The PDFs, downloaded with the buyer's session: German text.
        pdfs = {
            "invoice": (reverse("billing:invoice_pdf", args=[invoice.pk]), "Rechnung"),
            "contract": (reverse("contracts:pdf_current", args=[contract.pk]), "Supportvertrag"),
        }
        for name, (url, title) in pdfs.items():
            response = page.request.get(url)
            assert response.headers["content-type"] == "application/pdf", name
            text = pdf_text(response.body())
            assert title in text, name
            if found := english_left(text, allowed):
                journey.leftovers[f"{name} PDF"] = found
        signed_in = context.storage_state()
    finally:
        context.close()

    # The main pages again on a phone: signed out, then as the buyer.
    phone_pages = {
        False: {"pricing": "/pricing/", "signup": reverse("account_signup")},
        True: {
            "account": reverse("accounts:home"),
            "profile": reverse("accounts:profile"),
            "card": reverse("payments:card"),
            "invoices": reverse("billing:invoices"),
            "invoice": reverse("billing:invoice", args=[invoice.pk]),
            "contracts": reverse("contracts:list"),
            "contract": reverse("contracts:detail", args=[contract.pk]),
            "inbox": reverse("notifications:inbox"),
        },
    }
    for as_buyer, urls in phone_pages.items():
        phone = playwright_browser.new_context(
            base_url=live_server.url,
            viewport=PHONE,
            locale="de-DE",
            extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
            storage_state=signed_in if as_buyer else None,
        )
        phone.set_default_timeout(30_000)
        try:
            small = phone.new_page()
            for name, url in urls.items():
                small.goto(url)
                journey.step += 1
                journey.look(name, page=small, suffix="-390")
        finally:
            phone.close()
    assert journey.leftovers == {}
