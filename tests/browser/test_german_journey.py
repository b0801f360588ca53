"""The whole journey once in German (issue 20, docs/i18n.md): a first-time buyer whose browser
speaks German (locale de-DE, Accept-Language de) goes from the pricing page through sign-up, the
email verification (the link read from the test mail drop), the purchase, a card on file, a
billing cycle, the invoice's payment, the contract and its acknowledgement, the inbox, and the
invoice and contract PDFs. On every page, the visible text of the header, the main content and
the footer holds no English word (beyond names: the brand, the plan and product, the buyer's own
address and company, the card's brand), and the PDFs' text (pypdf) is German.

Screenshots: var/screenshots/i18n-de-journey-<NN>-<step>.png at 1280 px, and the main pages again
at 390 px (`-390`), where nothing may be wider than the screen. The walk itself is
tests/browser/journey_steps.py, shared with the French journey."""

import pytest

from tests.browser import journey_steps
from tests.browser.journey_steps import Buyer, walk_the_journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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

GERMAN_BUYER = Buyer(
    language="de",
    locale="de-DE",
    accept_language="de-DE,de;q=0.9",
    english_words=ENGLISH_WORDS,
    email="kaeufer@example.com",
    company="Muster Technik GmbH",
    street="Hafenstraße 2",
    city="Hamburg",
    postal_code="20457",
    country="DE",
    signer="Klara Käufer",
    plan_summary="Support zu Geschäftszeiten",
    plan_includes="Support per E-Mail und Telefon\nFernwartung und Fehlersuche",
    create_account="Konto erstellen",
    check_your_email="Prüfen Sie Ihr E-Mail-Postfach",
    confirm_your_email="Bestätigen Sie Ihre E-Mail-Adresse",
    confirm="Bestätigen",
    complete_profile="Profil vervollständigen",
    save_profile="Profil speichern",
    save_card="Karte speichern",
    confirm_purchase="Kauf bestätigen",
    thank_you="Vielen Dank für Ihre Bestellung",
    change_cycle="Zeitraum ändern",
    monthly="monatlich",
    paid="Bezahlt",
    acknowledge_this_contract="Diesen Vertrag bestätigen",
    acknowledge="Bestätigen",
    invoice_pdf_title="Rechnung",
    contract_pdf_title="Supportvertrag",
)


def english_left(text: str, allowed: list[str]) -> list[str]:
    return journey_steps.english_left(text, allowed, ENGLISH_WORDS)


def test_the_detector_finds_english_and_passes_german():
    assert english_left("Pay your invoice now", []) == ["Pay", "invoice", "your"]
    assert english_left("Bezahlen Sie Ihre Rechnung mit Ihrer Karte", []) == []
    assert english_left("Business Care: the plan", ["Business Care"]) == ["plan", "the"]
    assert english_left("Konto: https://example.com/account/ oder help@example.com", []) == []


def test_a_german_first_time_buyer_goes_the_whole_journey_in_german(
    playwright_browser, live_server, smtp_mail, settings, tmp_path
):
    leftovers = walk_the_journey(
        playwright_browser, live_server, smtp_mail, settings, tmp_path, GERMAN_BUYER
    )
    assert leftovers == {}
