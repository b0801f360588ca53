"""The whole journey once in French (issue 20, docs/i18n.md): a first-time buyer in Paris whose
browser speaks French (locale fr-FR, Accept-Language fr) buys in euros, from the pricing page
through sign-up, the email verification (the link read from the test mail drop), the purchase, a
card on file, a billing cycle, the invoice's payment, the contract and its acknowledgement, the
inbox, and the invoice and contract PDFs. On every page, the visible text of the header, the main
content and the footer holds no English word (beyond names: the brand, the plan and product, the
buyer's own address and company, the card's brand), and the PDFs' text (pypdf) is French.

Screenshots: var/screenshots/i18n-fr-journey-<NN>-<step>.png at 1280 px, and the main pages again
at 390 px (`-390`), where nothing may be wider than the screen (French runs longer than English:
buttons and table cells are the first to overflow on a phone). The walk itself is
tests/browser/journey_steps.py, shared with the German journey."""

import pytest
from django.urls import reverse

from tests.browser import journey_steps
from tests.browser.journey_steps import Buyer, walk_the_journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words of the English pages that French never uses: any of them in a French page's visible text
# is a string left untranslated. Whole words, case-sensitive. Many English words of these pages
# are French too, so they are not here: "Date", "Type", "Total", "Client", "Note", "Code",
# "Service", "Support", "Contact(s)", "Message", "Description", "Version", "Signature", "Active",
# "Net", "plan", "cycle", "continue", "change", "postal", "due", "expires", "Notifications";
# neither are the short words French spells the same: "on", "or", "a", "as", "ne", "son", "pour".
_ENGLISH = """
    the The your Your you You and with With for For from From this This that That these
    are is was were will have has not can cannot could should would been being
    to of at by if it its our we We here Here there when When what What which
    please Please thank Thank thanks Thanks welcome Welcome
    Sign sign signed Signing Create Confirm confirm Confirmed Cancel
    Save Choose choose Add add Remove Back Next Previous Edit Open Close
    Pay pay Paid paid Buy buy Bought Order order ordered Download download Send Sent
    Invoice Invoices invoice invoices Contract Contracts contract contracts Payment payment
    Card card cards Account account Profile Requests Request Inbox Pricing Home
    Password password Language Email email Settings Help Terms Privacy Summary Subtotal
    Monthly Quarterly Annual monthly quarterly annually annual month year Year Month
    billed Billed Billing billing Price price Tax tax Amount Number Issued issued Period period
    Acknowledge Acknowledged acknowledged Unread Read Mark all new New
    Customer Company Address City Country Phone Required required Expiry Security
    Step steps Done Needed Ready ready hours Hours phone Remote troubleshooting
    VAT Street expired Status Details Name Team Subscription Credit credit Refund Receipt
    Overdue Received received Verify Verified Quantity Reference Unit Gross Discount
    Starts Ends Renews Pending Draft Trial Response Time time Day days Week
"""
ENGLISH_WORDS = frozenset(_ENGLISH.split())

FRENCH_BUYER = Buyer(
    language="fr",
    locale="fr-FR",
    accept_language="fr-FR,fr;q=0.9",
    english_words=ENGLISH_WORDS,
    email="acheteuse@example.com",
    company="Dupont Informatique SARL",
    street="12 rue de Rivoli",
    city="Paris",
    postal_code="75004",
    country="FR",
    signer="Camille Dupont",
    plan_summary="Support aux heures ouvrées",
    plan_includes="Support par e-mail et téléphone\nDépannage et diagnostic à distance",
    create_account="Créer un compte",
    check_your_email="Consultez votre messagerie",
    confirm_your_email="Confirmez votre adresse e-mail",
    confirm="Confirmer",
    complete_profile="Compléter votre profil",
    save_profile="Enregistrer le profil",
    save_card="Enregistrer la carte",
    confirm_purchase="Confirmer l\u2019achat",
    thank_you="Merci pour votre commande",
    change_cycle="Changer de périodicité",
    monthly="mensuel",
    paid="Payée",
    acknowledge_this_contract="Accepter ce contrat",
    acknowledge="Accepter",
    invoice_pdf_title="Facture",
    contract_pdf_title="Contrat de support",
)


def english_left(text: str, allowed: list[str]) -> list[str]:
    return journey_steps.english_left(text, allowed, ENGLISH_WORDS)


def test_the_detector_finds_english_and_passes_french():
    assert english_left("Pay your invoice now", []) == ["Pay", "invoice", "your"]
    assert english_left("Payez votre facture avec votre carte", []) == []
    # French that shares its spelling with English is not a leftover.
    text = "Date, Type, Total, Client, Note, Code, Service, Support, Contact, Statut : le plan"
    assert english_left(text, []) == []
    assert english_left("Business Care : the plan", ["Business Care"]) == ["the"]
    assert english_left("Compte : https://example.com/account/ ou help@example.com", []) == []
    # Letters with accents are part of a word: "réessayer" is not "r", "essayer".
    assert english_left("Réessayez à l\u2019échéance d\u2019après", []) == []


def test_the_error_summary_puts_a_space_before_each_colon_in_french(client):
    """French writes "Mot de passe : …" (no-break space before the colon), English "Password: …"."""
    data = {"email": "acheteuse@example.com", "password1": "court", "password2": "autre"}
    for language, separator in (("fr", "</a>\u00a0: "), ("en", "</a>: ")):
        html = client.post(
            reverse("account_signup"), data, HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        summary = html[html.index('<div class="error-summary"') :]
        assert separator in summary[: summary.index("</div>")], language


def test_a_french_first_time_buyer_goes_the_whole_journey_in_french(
    playwright_browser, live_server, smtp_mail, settings, tmp_path
):
    leftovers = walk_the_journey(
        playwright_browser, live_server, smtp_mail, settings, tmp_path, FRENCH_BUYER
    )
    assert leftovers == {}
