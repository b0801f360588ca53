"""A German customer's billing and card pages are German (docs/i18n.md): the invoices list and
an invoice, the buy page, the plan change (choose, preview), the card form; bad input in the
card form and the plan change gives German field errors. Only names (plan, product, company),
amounts, numbers and the card's brand may stay as they are."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from onboarding.accounts.models import Customer
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, InvoiceStatus, SubscriptionStatus
from tests.billing.conftest import bought, ready_customer
from tests.factories import complete_profile, plan_with_prices
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db

# Words the English pages are made of; none may be left in a German page's main content.
ENGLISH = [
    "Invoice",
    "Invoices",
    "Issued",
    "Period",
    "Total",
    "State",
    "Summary",
    "Billed to",
    "Due",
    "Download",
    "Payment",
    "Subtotal",
    "Description",
    "Amount",
    "Unit price",
    "Lines",
    "Your",
    "your",
    "the",
    "and",
    "with",
    "Back",
    "Confirm",
    "Choose",
    "Cancel",
    "Save",
    "Change",
    "Number",
    "Expiry",
    "Security",
    "Name on card",
    "expires",
    "before tax",
    "Now",
    "Paid",
    "Open",
    "Buy",
    "Needed",
    "Done",
    "card",
    "Card",
    "plan",
    "Plan",
    "Quantity",
    "What changes",
    "Charged now",
    "billed",
    "month",
    "year",
    "cycle",
    "See what it costs",
    "Pay ",
    "Add ",
    "There is a problem",
    "problems to fix",
]


def main_text(response) -> str:
    """The visible text of the page's <main>, names of things (data) aside."""
    page = response.content.decode()
    main = page.split('id="content"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", main))
    return re.sub(r"\s+", " ", text)


def english_left(text: str, *names: str) -> list[str]:
    for name in names:  # data: plan, product, company and line names stay as they are
        text = text.replace(name, " ")
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


@pytest.fixture
def german(customer, client):
    """A customer in Germany who reads German, with a paid monthly plan and its invoice."""
    plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    ready = ready_customer(customer, country="DE", city="Berlin", company="Kunde GmbH")
    subscription = bought(ready, plan_with_prices(), anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    Customer.objects.filter(pk=customer.pk).update(language="de")  # after the profile's save
    subscription.refresh_from_db()
    client.force_login(customer)
    return subscription


def names_of(subscription) -> list[str]:
    invoice = Invoice.objects.get(subscription=subscription)
    lines = [line.description for line in invoice.lines.all()]
    plan = subscription.plan
    return [*lines, plan.product.name, plan.name, "Enterprise Care", "Kunde GmbH", "Visa", "PDF"]


def test_the_invoices_list_and_an_invoice_are_german(client, german):
    invoice = Invoice.objects.get(subscription=german)
    assert invoice.status == InvoiceStatus.PAID
    listed = client.get(reverse("billing:invoices"))
    assert listed.status_code == 200
    text = main_text(listed)
    assert "Ihre Rechnungen" in text and "Bezahlt" in text and "Zeitraum" in text
    assert 'data-label="Gesamt"' in listed.content.decode()  # the phone's column names too
    assert re.search(r"\d,\d\d\s?€", text), text  # money as a German reader writes it
    assert english_left(text, *names_of(german)) == []

    detail = client.get(reverse("billing:invoice", args=[invoice.pk]))
    text = main_text(detail)
    assert "Rechnung" in text and "Zwischensumme" in text and "Rechnungsempfänger" in text
    assert re.search(r"\d{1,2}\. \w+ 20\d\d", text), text  # a German date: "3. Dezember 2026"
    assert english_left(text, *names_of(german)) == []


def test_the_plan_change_page_and_its_preview_are_german(client, german):
    url = reverse("billing:plan_change", args=[german.pk])
    text = main_text(client.get(url))
    assert "Tarif oder Menge ändern" in text and "zzgl. Steuer" in text
    assert english_left(text, *names_of(german), "seats", "seat") == []

    preview = client.get(url, {"plan": "enterprise-care", "quantity": 1})
    assert preview.status_code == 200
    text = main_text(preview)
    assert "Was sich ändert" in text and "Jetzt belastet" in text
    # The two prorated lines are in the customer's language, as their invoice will keep them.
    quote_lines = re.findall(r"<tr><td>([^<]+)</td>", preview.content.decode())
    assert [line.split(" ", 1)[0] for line in quote_lines] == ["Nicht", "Restlaufzeit"]
    assert english_left(text, *names_of(german), "seats", "seat") == []


def test_bad_input_in_the_plan_change_gives_german_field_errors(client, german):
    url = reverse("billing:plan_change", args=[german.pk])
    response = client.get(url, {"plan": "no-such-plan", "quantity": "many"})
    assert response.status_code == 422
    errors = re.findall(r'class="field-error"[^>]*>([^<]+)<', response.content.decode())
    assert any("gültige Auswahl" in error for error in errors), errors
    assert any("ganze Zahl" in error for error in errors), errors
    assert not any(re.search(r"\b(Select|Enter|valid)\b", error) for error in errors), errors


def test_the_card_form_is_german_and_says_what_is_wrong_in_german(client, customer, settings):
    settings.PAYMENT_GATEWAY = "sandbox"
    Customer.objects.filter(pk=customer.pk).update(language="de")
    complete_profile(Customer.objects.get(pk=customer.pk), country="DE", company="Kunde GmbH")
    client.force_login(customer)
    response = client.get(reverse("payments:card"))
    assert response.status_code == 200
    text = main_text(response)
    assert "Karte hinzufügen" in text and "Kartennummer" in text and "Prüfnummer" in text
    assert english_left(text, "Kunde GmbH") == []

    bad = client.post(reverse("payments:card"), {"number": "", "exp_month": "13", "cvc": ""})
    assert bad.status_code == 422
    errors = re.findall(r'class="field-error"[^>]*>([^<]+)<', bad.content.decode())
    assert any("erforderlich" in error for error in errors), errors
    assert any("kleiner oder gleich 12" in error for error in errors), errors
    assert not any(re.search(r"\b(This|field|required|Ensure)\b", e) for e in errors), errors
    assert english_left(main_text(bad), "Kunde GmbH") == []


def test_the_card_on_file_is_described_in_the_readers_language(customer):
    method = card_on_file(complete_profile(customer.customer), GOOD_CARD)
    with translation.override("de"):
        assert re.fullmatch(r"Visa •••• 4242 \(gültig bis \d\d/20\d\d\)", method.description)
    with translation.override("fr"):
        assert "(expire fin " in method.description
    with translation.override("en"):
        assert method.description == str(method)  # English: as before, and as audited


def test_status_names_follow_the_language_and_stay_english_in_english():
    with translation.override("de"):
        assert str(InvoiceStatus.PAID.label) == "Bezahlt"
        assert str(SubscriptionStatus.PENDING.label) == "Erste Zahlung ausstehend"
    with translation.override("fr"):
        assert str(InvoiceStatus.OPEN.label) == "Ouverte"
    with translation.override("en"):
        assert str(InvoiceStatus.PAID.label) == "Paid"
        assert str(SubscriptionStatus.PENDING.label) == "Awaiting first payment"


def test_the_buy_page_is_german(client, german):
    response = client.get(reverse("billing:buy", args=["enterprise-care"]))
    assert response.status_code == 200
    text = main_text(response)
    assert "Kauf bestätigen" in text and "Abrechnungszeitraum" in text and "gültig bis" in text
    assert "Stattdessen zu Enterprise Care wechseln" in text  # the same product: change instead
    names = [*names_of(german), "Helpdesk Suite", "Berlin", "1 High Street", "Deutschland"]
    assert english_left(text, *names) == []


def test_the_plan_change_rules_refuse_in_german(client, german):
    url = reverse("billing:plan_change", args=[german.pk])
    response = client.get(url, {"plan": german.plan.slug, "quantity": 0})
    assert response.status_code == 422
    assert "Wählen Sie eine Menge von 1 oder mehr." in main_text(response)
    same = client.get(url, {"plan": german.plan.slug, "quantity": german.quantity})
    assert "Das sind bereits Ihr Tarif und Ihre Menge" in main_text(same)
    assert english_left(main_text(same), *names_of(german), "seats", "seat") == []
