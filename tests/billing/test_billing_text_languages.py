"""Billing text made outside a page, in the document's or the reader's language (docs/i18n.md):
the invoice's lines written at issue in the invoice's language (bill run, plan change), the tax's
name and the reverse-charge mention in the PDF's language, a plan-change preview's lines in the
customer's, a declined card's reason on the invoice page, and the words of the "scheduled change
not applied" notice. English is exactly what it was."""

import io
import re
from datetime import timedelta

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation

from onboarding.accounts.models import Customer
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.documents import invoice_pdf_build
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice, PaymentState, Subscription
from onboarding.billing.plan_changes import subscription_change_plan
from onboarding.catalog.models import Plan, PlanPrice
from onboarding.notifications.models import Notification
from onboarding.payments.decline_texts import customer_text
from onboarding.tax.selectors import REVERSE_CHARGE_MENTION
from tests.billing.conftest import bought, buy, ready_customer, today
from tests.billing.test_german_billing_pages import english_left, main_text
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db

DECLINED_CARD = "4000000000000341"  # accepted on file, every charge declined (card_declined)


def _pdf_text(path: str) -> str:
    with default_storage.open(path, "rb") as handle:
        content = handle.read()
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _issued(customer: Customer, plan, language: str) -> Invoice:
    Customer.objects.filter(pk=customer.pk).update(language=language)
    buy(customer, plan)
    with translation.override("en"):  # the worker's language does not count
        bill_run_execute(run_date=today())
        invoice = Invoice.objects.get(customer=customer)
        invoice_follow_up(invoice_id=invoice.pk)
    return Invoice.objects.get(pk=invoice.pk)


def test_a_german_invoice_has_a_german_line_and_tax_name(customer, plan):
    invoice = _issued(ready_customer(customer, country="DE", city="Berlin"), plan, "de")
    [line] = invoice.lines.all()
    assert line.description == f"{plan.product.name} · {plan.name}, Support monatlich"
    text = _pdf_text(invoice.pdf_path)
    assert (
        "Support monatlich" in text and "USt. 19 %" in text
    )  # the PDF text's no-break space read as a space
    assert not re.search(r"\b(VAT|support|monthly)\b", text), text
    assert invoice.tax_name == "VAT"  # the stored code stays English, for staff and the API


def test_a_french_reverse_charged_invoice_has_french_line_tax_and_mention(customer, plan):
    buyer = ready_customer(customer, country="FR", vat_number="FR40303265045")
    invoice = _issued(buyer, plan, "fr")
    assert invoice.lines.get().description.endswith(", support mensuel")
    text = _pdf_text(invoice.pdf_path)
    assert "TVA 0 % (autoliquidation)" in text
    assert "Autoliquidation\xa0: TVA due par le preneur (article 196" in text or (
        "Autoliquidation : TVA due par le preneur (article 196" in text
    )
    assert "Reverse charge" not in text and "reverse charge" not in text
    assert not re.search(r"\b(VAT|monthly|support)\b", text.replace("support mensuel", "")), text
    assert invoice.tax_mention == REVERSE_CHARGE_MENTION  # stored as issued, in English
    # A re-render is the same document, whatever the reader's language.
    with translation.override("de"):
        again = invoice_pdf_build(Invoice.objects.get(pk=invoice.pk))
    assert again.sha256 == invoice.pdf_sha256


def test_english_invoices_are_unchanged(customer, plan):
    buyer = ready_customer(customer, country="FR", vat_number="FR40303265045")
    with translation.override("de"):  # whatever language the process runs in
        invoice = _issued(buyer, plan, "en")
    assert invoice.lines.get().description == f"{plan.product.name} · {plan.name}, monthly support"
    text = _pdf_text(invoice.pdf_path)
    assert "VAT 0% (reverse charge)" in text
    assert " ".join(REVERSE_CHARGE_MENTION.split()) in text
    with translation.override("en"):
        assert invoice.tax_label == "VAT 0% (reverse charge)"
        assert invoice.tax_mention_text == REVERSE_CHARGE_MENTION


@pytest.fixture
def german(customer, client) -> Subscription:
    """A German-speaking customer in Germany, ten days into a paid monthly plan."""
    plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    ready = ready_customer(customer, country="DE", city="Berlin", company="Kunde GmbH")
    Customer.objects.filter(pk=ready.pk).update(language="de")
    subscription = bought(ready, plan_with_prices(), anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    client.force_login(customer)
    return subscription


def test_a_plan_change_preview_is_german_and_so_is_its_invoice(client, german):
    url = reverse("billing:plan_change", args=[german.pk])
    preview = client.get(url, {"plan": "enterprise-care", "quantity": 2})
    assert preview.status_code == 200
    quote_lines = re.findall(r"<tr><td>([^<]+)</td>", preview.content.decode())
    assert len(quote_lines) == 2, quote_lines
    credit, charge = quote_lines
    assert credit.startswith("Nicht genutzte Zeit für") and "(1 Arbeitsplatz) vom " in credit
    assert charge.startswith("Restlaufzeit für") and "(2 Arbeitsplätze) vom " in charge
    assert re.search(r"\d{1,2}\. \w+\.? 20\d\d, \d\d:\d\d UTC", charge), charge
    assert re.search(r"\(\d+ Tage?( \d+ Stunden?)?; Zeitraum: \d+ Tage\)", charge), charge
    plan = german.plan
    names = [plan.product.name, plan.name, "Enterprise Care", "Kunde GmbH", "Visa", "PDF"]
    assert english_left(main_text(preview), *names, "seats", "seat") == []

    subscription_change_plan(
        subscription=german,
        plan=Plan.objects.get(slug="enterprise-care"),
        quantity=2,
        actor=german.customer.user,
    )
    invoice = Invoice.objects.filter(subscription=german).order_by("-pk").first()
    assert invoice.language == "de"
    stored = [line.description for line in invoice.lines.order_by("position")]
    assert stored[0].startswith("Nicht genutzte Zeit für") and stored[1].startswith("Restlaufzeit")


def test_a_declined_card_is_explained_in_german_on_the_invoice_page(client, customer, plan):
    buyer = ready_customer(customer, country="DE", card=DECLINED_CARD)
    Customer.objects.filter(pk=buyer.pk).update(language="de")
    buy(buyer, plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(customer=buyer)
    assert invoice.payment_state in (PaymentState.DECLINED, PaymentState.FAILED)
    assert invoice.last_payment_message == "Your card was declined."  # English for staff and logs
    client.force_login(customer)
    text = main_text(client.get(reverse("billing:invoice", args=[invoice.pk])))
    assert "Ihre Karte wurde abgelehnt." in text
    assert "declined" not in text
    with translation.override("en"):
        assert invoice.payment_failure_text == "Your card was declined."


def test_a_gateways_text_for_an_unknown_code_is_not_shown_to_a_german_customer(
    client, customer, plan
):
    """The invoice keeps the gateway's own words for staff; the customer reads a German
    sentence instead of them."""
    buyer = ready_customer(customer, country="DE", card=DECLINED_CARD)
    Customer.objects.filter(pk=buyer.pk).update(language="de")
    buy(buyer, plan)
    bill_run_execute(run_date=today())
    raw = "Refused under issuer policy 7 (ref 0099)."
    Invoice.objects.filter(customer=buyer).update(
        last_payment_code="issuer_policy_7", last_payment_message=raw
    )
    invoice = Invoice.objects.get(customer=buyer)
    client.force_login(customer)
    text = main_text(client.get(reverse("billing:invoice", args=[invoice.pk])))
    assert "Der Zahlungsdienstleister hat Ihre Karte oder die Zahlung abgelehnt." in text
    assert "issuer policy" not in text and "Refused" not in text
    api = client.get(f"/api/v1/me/invoices/{invoice.pk}", headers={"accept-language": "de"})
    assert api.json()["last_payment_message"] == (
        "Der Zahlungsdienstleister hat Ihre Karte oder die Zahlung abgelehnt."
    )
    invoice.refresh_from_db()
    assert invoice.last_payment_message == raw  # the record keeps the gateway's words
    with translation.override("en"):
        assert invoice.payment_failure_text == raw


def test_decline_texts_in_each_language():
    with translation.override("fr"):
        assert customer_text("insufficient_funds", "Your card has insufficient funds.") == (
            "Le solde de votre carte est insuffisant."
        )
        # A gateway's own English for a known code: the code's text.
        assert customer_text("lost_card", "Your card has been reported lost (Stripe).") == (
            "Votre banque signale cette carte comme perdue."
        )
        # A code this system does not know: one general sentence, never the gateway's English.
        assert customer_text("weird_code", "Something odd.") == (
            "Le prestataire de paiement a refusé votre carte ou le paiement."
        )
        assert customer_text("weird_code", "") == ""  # nothing went wrong: nothing to say
    with translation.override("de"):
        assert customer_text("weird_code", "Something odd.") == (
            "Der Zahlungsdienstleister hat Ihre Karte oder die Zahlung abgelehnt."
        )
        assert customer_text("expired_card", "Card expired (gateway).") == (
            "Ihre Karte ist abgelaufen."
        )
    with translation.override("en"):  # English readers get what the gateway said
        assert customer_text("lost_card", "Your card has been reported lost (Stripe).") == (
            "Your card has been reported lost (Stripe)."
        )
        assert customer_text("weird_code", "Something odd.") == "Something odd."


def test_the_not_applied_notice_words_its_cycle_terms_and_reason_in_german(customer, plan):
    essential = plan_with_prices("essential-care", monthly=4900, quarterly=12900, annual=49000)
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    ready = ready_customer(customer)
    Customer.objects.filter(pk=ready.pk).update(language="de")
    subscription = bought(ready, plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    subscription_change_plan(
        subscription=subscription, plan=essential, quantity=1, actor=subscription.customer.user
    )
    PlanPrice.objects.filter(plan=essential, cycle="monthly", currency="EUR").delete()
    subscription.refresh_from_db()
    with translation.override("en"):  # the bill run's language does not count
        bill_run_execute(run_date=subscription.current_period_end.date())

    notice = Notification.objects.get(kind="scheduled_change_not_applied")
    assert notice.language == "de"
    body = " ".join(notice.body_text.split())
    assert "monatlich" in body and "1 Arbeitsplatz" in body
    assert "keinen Preis in EUR" in body
    assert not re.search(r"\b(monthly|seats?|no longer|has no|price)\b", body), body


def test_the_change_scheduled_notice_words_its_terms_in_german(german):
    essential = plan_with_prices("essential-care", monthly=4900, quarterly=12900, annual=49000)
    with translation.override("en"):  # the caller's language does not count
        subscription_change_plan(
            subscription=german, plan=essential, quantity=2, actor=german.customer.user
        )
    notice = Notification.objects.get(kind="change_scheduled")
    assert notice.language == "de"
    body = " ".join(notice.body_text.split())
    assert "1 Arbeitsplatz" in body and "2 Arbeitsplätze" in body
    assert not re.search(r"\bseats?\b", body), body
