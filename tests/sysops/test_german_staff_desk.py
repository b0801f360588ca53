"""A member of staff who reads German (User.staff_language) gets the staff console's desk in
German (docs/i18n.md): the customer view, the search, the request queue and a request, the SLA
breach report, the service credits, the staff invoices and contracts; their form errors and
flash messages; and the mail sent to them (an SLA breach, a service credit to approve). Only
names (plan, product, customer, people), references, amounts and codes may stay as they are.
English staff keep the English pages (the other tests of these pages)."""

import html
import re
from datetime import timedelta

import pytest
from babel.numbers import format_currency
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import now

from onboarding.acceptance.requirements import requirement_add
from onboarding.accounts.models import User
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState
from onboarding.core.money import Money
from onboarding.notifications.models import Notification
from onboarding.payments.models import PaymentStatus
from onboarding.sysops.models import ServiceCredit
from onboarding.sysops.overview_cache import customer_overview_cached
from onboarding.sysops.services import customer_resolve
from tests.contracts.conftest import deliver_inline, paying_customer
from tests.contracts.conftest import subscribe as subscribe_paid
from tests.factories import plan_with_prices, staff_user
from tests.sysops.conftest import (
    make_contract,
    make_invoice,
    make_payment,
    open_request,
    subscribe,
    today,
)
from tests.sysops.sla_terms import breach, credit_terms, plan_with_sla_terms

pytestmark = pytest.mark.django_db

# Words the English desk is made of; none may be left in a German page's main content.
ENGLISH = [
    "Customer",
    "Customers",
    "Request",
    "Requests",
    "request",
    "Severity",
    "Assignee",
    "Product",
    "Products",
    "Waiting",
    "Due",
    "due",
    "Payment",
    "Payments",
    "Contract",
    "Contracts",
    "History",
    "Comment",
    "Assign",
    "Change",
    "Service credit",
    "Service credits",
    "Approve",
    "Decline",
    "Invoice",
    "Invoices",
    "Amount",
    "Proposed",
    "Refund",
    "Void",
    "Dispute",
    "Page",
    "of",
    "the",
    "and",
    "with",
    "for",
    "from",
    "No",
    "no",
    "left",
    "since",
    "issued",
    "term",
    "expires",
    "next",
    "bought",
    "product",
    "Filter",
    "Clear",
    "Any",
    "Anyone",
    "Nobody",
    "Search",
    "Address",
    "contacts",
    "Time zone",
    "Dunning",
    "journey",
    "Open",
    "opened",
    "assigned",
    "nobody",
    "Act",
    "Watch",
    "Nothing",
    "risky",
    "Number",
    "Issued",
    "Total",
    "State",
    "Tax",
    "Period",
    "Credit",
    "credit",
    "missed",
    "deadline",
    "Met",
    "Breached",
    "Breach rate",
    "Clock",
    "Show",
    "Month",
    "Download",
    "When",
    "Score",
    "Health",
    "Match",
    "Term ends",
    "Any state",
    "Bill runs",
    "Totals",
    "Currency",
    "Paid",
    "Unpaid",
    "Credited",
    "Pending",
    "running",
    "Service level",
    "Counted",
    "started",
    "system",
    "Opened",
]


def main_text(response, *, drop: tuple[str, ...] = ()) -> str:
    """The visible text of the page's <main>; `drop` names sections (by id or class) left out:
    another slice's part of the page, or stored data such as the audit log's."""
    page = response.content.decode()
    main = page.split('id="content"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    for element_id in drop:
        main = re.sub(
            rf'<section[^>]*(id|class)="{element_id}".*?</section>', " ", main, flags=re.S
        )
    text = html.unescape(re.sub(r"<[^>]+>", " ", main))
    return re.sub(r"\s+", " ", text)


def english_left(text: str, *names: str) -> list[str]:
    for name in sorted(names, key=len, reverse=True):  # data stays as it is
        text = text.replace(name, " ")
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


def without(text: str, *data: str) -> str:
    """`text` without `data`."""
    for item in data:
        text = text.replace(item, " ")
    return text


def german_client(client, user: User):
    User.objects.filter(pk=user.pk).update(staff_language="de")
    client.force_login(User.objects.get(pk=user.pk))  # the session reads it at sign-in
    return client


@pytest.fixture
def manager(db):
    """A manager who reads German: they decide service credits and see the whole desk."""
    user = staff_user("manager")
    User.objects.filter(pk=user.pk).update(staff_language="de")
    return User.objects.get(pk=user.pk)


@pytest.fixture
def engineer(db):
    """A SysOps engineer who reads German: the SLA mail goes to them."""
    user = staff_user("sysops")
    User.objects.filter(pk=user.pk).update(staff_language="de")
    return User.objects.get(pk=user.pk)


@pytest.fixture
def desk(customer, manager, engineer):
    """A paid invoice, a request whose first response was breached, and its proposed credit."""
    plan = plan_with_sla_terms()
    credit_terms(plan)
    subscription = subscribe(customer, plan)
    bill_run_execute(run_date=today())
    request = open_request(
        subscription, summary="Dashboard lädt nicht", description="Seit heute früh leer."
    )
    breach(request)
    return {
        "subscription": subscription,
        "invoice": Invoice.objects.get(subscription=subscription),
        "request": request,
        "credit": ServiceCredit.objects.get(),
        "customer": subscription.customer,
    }


def names(desk) -> list[str]:
    """The data on the pages: names, references, email addresses, numbers."""
    customer, plan = desk["customer"], desk["subscription"].plan
    emails = list(User.objects.values_list("email", flat=True))
    return [
        customer.display_name,
        customer.reference,
        customer.company or "",
        customer.user.get_full_name(),
        plan.name,
        plan.product.name,
        desk["request"].reference,
        desk["credit"].reference,
        desk["invoice"].number,
        *emails,
        "Dashboard lädt nicht",
        "Seit heute früh leer.",
        "Europe/Berlin",
        "Europe/London",
        "portal",
    ]


def test_the_customer_view_is_german(client, manager, desk):
    german_client(client, manager)
    response = client.get(reverse("sysops:customer", args=[desk["customer"].pk]))
    assert response.status_code == 200
    assert '<html lang="de">' in response.content.decode()
    # The health card is another slice's (docs/i18n.md); the audit timeline and the notices'
    # subjects are stored data, kept as they were written. The risk flags are German too.
    text = main_text(response, drop=("health", "audit"))
    subjects = Notification.objects.filter(recipient=desk["customer"].user)
    text = without(text, *subjects.values_list("subject", flat=True))
    text = without(text, *subjects.values_list("kind", flat=True))  # codes
    for heading in ("Adresse und Kontakte", "Zahlungsplan", "Offene Anfragen", "Rechnungen"):
        assert heading in text, heading
    assert "Repair and troubleshoot requests" not in text
    assert english_left(text, *names(desk)) == []


def test_the_customer_view_is_cached_per_language(client, manager, sysops, desk):
    """English and German staff reading the same customer each get their own language (the
    cached view keeps rendered history lists: one entry per language)."""
    url = reverse("sysops:customer", args=[desk["customer"].pk])
    german = german_client(client, manager).get(url).content.decode()
    english_client = Client()
    english_client.force_login(sysops)
    english = english_client.get(url).content.decode()
    again = client.get(url).content.decode()
    assert "Vertragsverlauf" in german and "Vertragsverlauf" in again
    assert "Contract history" in english and "Vertragsverlauf" not in english


def test_the_request_queue_and_a_request_are_german(client, manager, desk):
    german_client(client, manager)
    queue = client.get(reverse("sysops:request_queue"))
    assert queue.status_code == 200
    text = main_text(queue)
    assert "Reparatur" in text or "Anfragen" in text
    assert 'data-label="Schweregrad"' in queue.content.decode()  # the phone's column names
    assert english_left(text, *names(desk)) == []

    detail = client.get(reverse("sysops:request_detail", args=[desk["request"].pk]))
    assert detail.status_code == 200
    text = main_text(detail)
    assert "Kommentar hinzufügen" in text and "Status ändern" in text
    assert "Service-Gutschriften" in text and "eine Führungskraft entscheidet" in text
    assert "„Erste Antwort“" in text  # a German noun keeps its capital inside the sentence
    assert english_left(text, *names(desk)) == []


def test_a_comment_says_so_in_german(client, manager, desk):
    german_client(client, manager)
    url = reverse("sysops:request_comment", args=[desk["request"].pk])
    answer = client.post(url, {"body": "Wir schauen nach."}, follow=True)
    assert answer.status_code == 200
    assert "Kommentar hinzugefügt." in answer.content.decode()
    empty = client.post(url, {"body": ""})
    assert empty.status_code == 422
    assert "Dieses Feld ist zwingend erforderlich." in empty.content.decode()


def test_the_service_credits_are_german_with_german_field_errors(client, manager, desk):
    german_client(client, manager)
    listed = client.get(reverse("sysops:service_credits"))
    assert listed.status_code == 200
    text = main_text(listed)
    assert "Service-Gutschriften" in text and "Vorgeschlagen" in text
    assert english_left(text, *names(desk)) == []

    url = reverse("sysops:service_credit", args=[desk["credit"].pk])
    text = main_text(client.get(url))
    assert "Genehmigen" in text and "Ablehnen" in text and "Warum wird sie abgelehnt?" in text
    assert re.search(r"11,88\s?€|11,88 EUR|EUR\s?11,88", text) or "11.88" in text
    assert english_left(text, *names(desk)) == []

    declined = client.post(reverse("sysops:service_credit_decline", args=[desk["credit"].pk]))
    assert declined.status_code == 422
    body = declined.content.decode()
    assert "Dieses Feld ist zwingend erforderlich." in body
    assert "This field is required" not in body
    approved = client.post(reverse("sysops:service_credit_approve", args=[desk["credit"].pk]))
    assert approved.status_code == 422
    assert (
        "Kreuzen Sie das Kästchen an, um die Gutschrift zu bestätigen." in approved.content.decode()
    )


def test_the_sla_report_and_the_search_are_german(client, manager, desk):
    german_client(client, manager)
    report = client.get(reverse("sysops:sla_breach_report"))
    assert report.status_code == 200
    text = main_text(report)
    assert "SLA-Verletzungsbericht" in text and "Verletzungsquote" in text
    assert english_left(text, *names(desk), "CSV") == []
    bad = client.get(reverse("sysops:sla_breach_report"), {"month": "März"})
    assert "Geben Sie einen Monat als JJJJ-MM ein" in bad.content.decode()

    found = client.get(reverse("sysops:customer_search"), {"q": desk["customer"].reference})
    text = main_text(found)
    assert "Kunden suchen" in text or "Kunden" in text
    assert english_left(text, *names(desk)) == []


def test_the_staff_invoice_and_invoice_list_are_german(client, manager, desk):
    german_client(client, manager)
    invoice = desk["invoice"]
    listed = client.get(reverse("billing:staff_invoices"))
    assert listed.status_code == 200
    text = main_text(listed)
    assert "Summen nach Währung" in text and "Abrechnungsläufe" in text
    assert english_left(text, *names(desk)) == []

    detail = client.get(reverse("billing:staff_invoice", args=[invoice.pk]))
    assert detail.status_code == 200
    text = main_text(detail)
    assert "Gutschriften" in text and "Erstatten" in text
    # The tax's name ("VAT 20%") is the rates table's (docs/i18n.md, "Not yet").
    assert english_left(text, *names(desk), invoice.tax_label) == []

    refused = client.post(
        reverse("billing:staff_invoice_refund", args=[invoice.pk]),
        {"amount": "viel", "reason": "Kulanz"},
    )
    assert refused.status_code == 422
    assert "Geben Sie einen Betrag wie 12.50 ein" in refused.content.decode()


def test_the_staff_contracts_list_is_german(client, manager, desk):
    german_client(client, manager)
    response = client.get(reverse("contracts_staff:list"))
    assert response.status_code == 200
    text = main_text(response)
    assert "Verträge" in text and "Laufzeitende" in text
    assert english_left(text, *names(desk)) == []


def test_the_staff_mail_is_german(desk, engineer, manager):
    """The SLA breach mail to the engineer and the credit to approve to the manager are written
    in their console language, subject and body."""
    sla = Notification.objects.get(recipient=engineer, kind="service_request.sla_breached")
    assert sla.language == "de"
    assert "Frist für die erste Antwort verfehlt" in sla.subject
    assert "Anfrage ansehen" in sla.body_text and "Schweregrad:" in sla.body_text
    assert "has not been given" not in sla.body_text

    credit = Notification.objects.get(recipient=manager, kind="service_credit.proposed")
    assert credit.language == "de"
    assert "Service-Gutschrift" in credit.subject and "to approve" not in credit.subject
    assert "Genehmigen oder ablehnen" in credit.body_text
    assert "missed its" not in credit.body_text


def test_a_staff_contract_is_german(client, manager, media):
    user = paying_customer(email="vertrag@example.com")
    plan = plan_with_prices("business-care")
    contract = deliver_inline(subscribe_paid(user, plan))
    german_client(client, manager)
    response = client.get(reverse("contracts_staff:detail", args=[contract.pk]))
    assert response.status_code == 200
    text = main_text(response)
    assert "Produkt und Preis" in text and "Ablauferinnerungen" in text
    assert "Vertrag kündigen" in text and "Dokumente" in text
    customer = user.customer
    data = [contract.number, customer.display_name, customer.reference, user.email]
    data += [plan.name, plan.product.name, contract.product_name, contract.plan_name]
    hashes = [doc.sha256 for doc in contract.documents.all()]
    assert english_left(text, *data, *hashes) == []


def risky(desk):
    """The desk's customer with more flags: a declined payment, an unpaid invoice, a critical
    request and two open admin alerts (beside the desk's breached first response)."""
    subscription = desk["subscription"]
    make_payment(
        subscription, 41, status=PaymentStatus.DECLINED, message="Card declined.", created_at=now()
    )
    make_invoice(
        subscription,
        40,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.DECLINED,
        due_date=today() - timedelta(days=5),
    )
    open_request(subscription, severity="critical", summary="Mailserver steht")
    for reason in ("payment.declined", "payment.retry_failed"):
        admin_alert_raise(
            reason=reason,
            message="Declined at renewal.",
            target=subscription,
            customer_id=subscription.customer_id,
            severity="warning",
        )
    return subscription


def risks_text(response) -> str:
    page = response.content.decode()
    section = page.split('<section class="risks"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", "<x" + section)))


def german_money(amount) -> str:
    """What Babel itself writes for a German reader (not the project's helper), its no-break
    space read as the pages' text is (whitespace collapsed)."""
    return format_currency(amount.decimal, amount.currency, locale="de").replace("\xa0", " ")


def test_the_customer_views_flags_are_german_with_german_money(client, manager, desk):
    risky(desk)
    german_client(client, manager)
    response = client.get(reverse("sysops:customer", args=[desk["customer"].pk]))
    flags = risks_text(response)
    declined = german_money(Money(11880, "EUR"))
    assert declined == "118,80 €"
    assert f"Letzte Zahlung am {date_format(now().date())} fehlgeschlagen: {declined}" in flags
    assert "2 offene Administrator-Alarme zu diesem Kunden." in flags
    assert "Kritische Anfrage offen:" in flags and "Mailserver steht" in flags
    assert "Frist „Erste Antwort“ verpasst:" in flags
    assert "Unbezahlt:" in flags and "überfällig seit" in flags
    assert "EUR" not in flags
    invoices = Invoice.objects.filter(customer=desk["customer"]).values_list("number", flat=True)
    data = [*names(desk), *invoices, "Mailserver steht", "Card declined"]
    assert english_left(flags, *data) == []
    assert not re.search(r"\b(Last|failed|unresolved|alerts?|Critical|overdue|Unpaid)\b", flags)


def test_english_staff_keep_the_english_flags(client, sysops, desk):
    risky(desk)
    client.force_login(sysops)
    response = client.get(reverse("sysops:customer", args=[desk["customer"].pk]))
    flags = risks_text(response)
    day = date_format(now().date())
    assert f"Last payment failed on {day}: 118.80 EUR (Card declined)." in flags
    assert "2 unresolved admin alerts about this customer." in flags
    assert "Critical request open:" in flags and "First response deadline missed:" in flags
    assert "Unpaid:" in flags and "overdue since" in flags
    assert "€" not in flags and "Letzte" not in flags


def test_the_cached_view_keeps_one_entry_per_language(client, manager, sysops, desk):
    """German, then English, then German again (the cached entry on PostgreSQL): each reader
    gets the flags in their own language, never the other's."""
    risky(desk)
    url = reverse("sysops:customer", args=[desk["customer"].pk])
    german = risks_text(german_client(client, manager).get(url))
    english_client = Client()
    english_client.force_login(sysops)
    english = risks_text(english_client.get(url))
    again = risks_text(client.get(url))
    assert again == german
    assert "offene Administrator-Alarme" in german and "unresolved admin alerts" not in german
    assert "unresolved admin alerts" in english and "Administrator-Alarme" not in english
    assert "118,80 €" in german and "118.80 EUR" in english


def test_the_cached_flags_are_made_in_the_readers_language(require_postgres, desk):
    """The flags are written inside the cached overview: a warm read in German serves the
    German entry (the stamp and the cache read only), an English read its own."""
    customer = customer_resolve(customer_id=risky(desk).customer_id, source="test")
    with translation.override("de"):
        cold = customer_overview_cached(customer=customer)
    with translation.override("en"):
        english = customer_overview_cached(customer=customer)
    with translation.override("de"), CaptureQueriesContext(connection) as queries:
        warm = customer_overview_cached(customer=customer)
    assert len(queries) <= 2  # the stamp and the cache read: served from the cache
    assert [r.message for r in warm.risks] == [r.message for r in cold.risks]
    assert any("Administrator-Alarme" in r.message for r in warm.risks)
    assert any("unresolved admin alerts" in r.message for r in english.risks)
    assert [r.code for r in english.risks] == [r.code for r in warm.risks]


def test_money_on_the_staff_pages_is_german(client, manager, sysops, desk):
    invoice, credit = desk["invoice"], desk["credit"]
    german_client(client, manager)
    pages = {
        "customer": reverse("sysops:customer", args=[desk["customer"].pk]),
        "invoice": reverse("billing:staff_invoice", args=[invoice.pk]),
        "invoices": reverse("billing:staff_invoices"),
        "credit": reverse("sysops:service_credit", args=[credit.pk]),
        "credits": reverse("sysops:service_credits"),
    }
    for name, url in pages.items():
        text = main_text(client.get(url))
        assert not re.search(r"\d EUR", text), (name, re.findall(r".{80}\d EUR.{20}", text))
    detail = main_text(client.get(pages["invoice"]))
    assert german_money(invoice.total) in detail and german_money(invoice.subtotal) in detail
    assert german_money(credit.amount) in main_text(client.get(pages["credit"]))
    view = main_text(client.get(pages["customer"]))
    assert german_money(invoice.total) in view
    assert "bevorzugt E-Mail" in view and "bevorzugt e-mail" not in view

    english_client = Client()
    english_client.force_login(sysops)
    english = main_text(english_client.get(pages["invoice"]))
    assert str(invoice.total) in english and "€" not in english
    listed = main_text(english_client.get(pages["invoices"]))
    assert str(invoice.total) in listed and "€" not in listed
    view = main_text(english_client.get(pages["customer"]))
    assert str(invoice.total) in view and "€" not in view
    assert "prefers email" in view


def test_the_acceptance_flags_are_german_and_stay_english_for_english_staff(
    client, manager, sysops, desk
):
    contract = make_contract(desk["subscription"], 0)
    requirement_add(
        contract=contract, actor=manager, title="Backups", criteria="Backups work", rating="red"
    )
    url = reverse("sysops:customer", args=[desk["customer"].pk])
    german = risks_text(german_client(client, manager).get(url))
    assert f"Abnahme von Vertrag {contract.number} ist rot (wartet auf Bestätigung)" in german
    english_client = Client()
    english_client.force_login(sysops)
    english = risks_text(english_client.get(url))
    assert f"Contract {contract.number} acceptance is red (waiting for acknowledgement)" in english
    assert "Abnahme" not in english


def test_a_dunning_hold_reads_german_on_the_customer_view(client, manager, desk):
    from onboarding.billing.dunning_holds import dunning_hold_place, request_hold_reason

    customer = desk["customer"]
    reason = request_hold_reason(severity="critical", request_id=desk["request"].pk)
    hold = dunning_hold_place(
        customer_id=customer.pk, source="request", reference=desk["request"].pk, reason=reason
    )
    assert hold.reason == reason  # recorded in English
    german_client(client, manager)
    # The audit timeline shows the record as recorded (English); the hold line is worded.
    text = main_text(client.get(reverse("sysops:customer", args=[customer.pk])), drop=("audit",))
    reference = desk["request"].reference
    assert f"Offene Anfrage {reference} mit Schweregrad kritisch" in text
    assert f"open critical request {reference}" not in text
