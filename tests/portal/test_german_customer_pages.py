"""A German customer's contract, request, contact and error pages are German (issue 20,
docs/i18n.md): no English left on them beyond names and the brand, German field errors on bad
input, and the request update email in German and French."""

import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from onboarding.accounts.models import Contact, Customer
from onboarding.contracts.models import Contract
from onboarding.notifications.models import Notification
from onboarding.sysops.models import ServiceRequest
from onboarding.sysops.services import service_request_comment, service_request_move
from tests.contracts.conftest import deliver_inline, paying_customer
from tests.contracts.conftest import subscribe as subscribe_paid
from tests.factories import plan_with_prices
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db

# Words and phrases the English pages say; none may be left on the German ones.
ENGLISH = re.compile(
    r"\b(the|and|your|Your|you|with|within|left|days?|Contract|contract|Request|request|"
    r"Cancel|Edit|Remove|Save|Download|Back|Pending|Acknowledge|Acknowledged|History|Reply|"
    r"Send|Severity|Summary|Product|Term|Being prepared|Waiting|Manage|Earlier|Read|"
    r"fingerprint|Service level|Due by|Opened|opened|Phone|Role|Actions|Add|No|Not|Page|"
    r"There|problem|Enter|This field|Troubleshoot|Repair|New|Paused|Closed)\b"
)
# Names from the test data (product, plan, the plan's list of what it includes: catalogue data,
# not yet translated), the brand and the time zone.
NAMES = (
    "Helpdesk Suite",
    "Business Care",
    "Email and phone support",
    "Remote troubleshooting",
    "Onboarding",
    "SysOps",
    "Europe/Berlin",
)


def german(user) -> Client:
    Customer.objects.filter(pk=user.pk).update(language="de")
    client = Client(HTTP_USER_AGENT="GermanPages/1.0 (pytest)")
    client.force_login(user)
    return client


def english_left(html: str) -> list[str]:
    body = html.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = strip_tags(body)
    for name in NAMES:
        text = text.replace(name, " ")
    text = re.sub(r"\S+@\S+", " ", text)  # addresses
    return sorted({m.group(0) for m in ENGLISH.finditer(text)})


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    html = response.content.decode()
    assert '<html lang="de"' in html, url
    return html


@pytest.fixture
def contract_owner(media):
    user = paying_customer(email="vertrag@example.com")
    contract = deliver_inline(subscribe_paid(user, plan_with_prices("business-care")))
    return user, contract


@pytest.fixture
def request_owner(customer):
    test_clock = new_test_clock()
    subscription = subscribe_on_clock(customer, plan_with_sla_terms(), test_clock)
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(
            subscription,
            summary="Das Dashboard lädt nicht",
            description="Seit heute Morgen zeigt das Dashboard eine leere Seite.",
        )
    return customer, request


def test_the_contract_list_and_detail_are_german(contract_owner):
    user, contract = contract_owner
    client = german(user)
    listing = page(client, reverse("contracts:list"))
    assert "Ihre Verträge" in listing and contract.number in listing
    assert "noch 30 Tage" in listing or re.search(r"noch \d+ Tage?\b", listing)
    assert english_left(listing) == [], strip_tags(listing)
    detail = page(client, reverse("contracts:detail", args=[contract.pk]))
    assert "Diesen Vertrag bestätigen" in detail
    assert "Laufzeit und Preis" in detail and "inklusive Steuern" in detail
    assert "SHA-256-Fingerabdruck" in detail
    assert english_left(detail) == [], strip_tags(detail)


def test_a_refused_acknowledgement_and_the_cancel_page_are_german(contract_owner):
    user, contract = contract_owner
    client = german(user)
    refused = client.post(
        reverse("contracts:acknowledge", args=[contract.pk]),
        {"name": "", "document_sha256": contract.current_document.sha256},
    )
    html = refused.content.decode()
    assert refused.status_code == 422
    assert "Kreuzen Sie das Kästchen an" in html
    assert english_left(html) == []
    manage = page(client, reverse("contracts:manage", args=[contract.pk]))
    assert "Was die Kündigung bewirkt" in manage
    assert english_left(manage) == []
    Contract.objects.filter(pk=contract.pk).update(state="expired")
    refused_state = page(client, reverse("contracts:manage", args=[contract.pk]))
    assert "„Abgelaufen“" in refused_state
    assert english_left(refused_state) == []


def test_the_request_pages_and_the_sla_clock_are_german(request_owner):
    user, request = request_owner
    client = german(user)
    listing = page(client, reverse("requests:list"))
    assert "Reparatur- und Fehlersuchanfragen" in listing
    assert english_left(listing) == []
    detail = page(client, reverse("requests:detail", args=[request.pk]))
    assert "Service-Level" in detail and "Erste Antwort" in detail
    assert "Mo\u2013Fr 08:00\u201318:00 Europe/Berlin" in detail
    assert "an gesetzlichen Feiertagen in Deutschland geschlossen" in detail
    assert english_left(detail) == [], strip_tags(detail)
    form = page(client, reverse("requests:new"))
    assert "Schweregrad" in form and "Fehlersuche" in form
    assert english_left(form) == []


def test_a_paused_and_a_closed_request_read_in_german(request_owner, sysops):
    user, request = request_owner
    client = german(user)
    service_request_move(
        request=request, actor=sysops, status="waiting_on_customer", note="Welche Version?"
    )
    paused = page(client, reverse("requests:detail", args=[request.pk]))
    assert "Pausiert, solange wir auf Ihre Antwort warten" in paused
    assert english_left(paused) == []
    for status in ("in_progress", "resolved", "closed"):
        service_request_move(request=request, actor=sysops, status=status, note="")
    closed = page(client, reverse("requests:detail", args=[request.pk]))
    assert "Diese Anfrage ist geschlossen" in closed
    assert english_left(closed) == []


def test_bad_input_on_the_request_form_gives_german_field_errors(request_owner):
    user, _request = request_owner
    client = german(user)
    before = ServiceRequest.objects.count()
    response = client.post(reverse("requests:new"), {"kind": "", "summary": "", "severity": "x"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Dieses Feld ist zwingend erforderlich." in html
    assert "Bitte eine gültige Auswahl treffen." in html
    assert english_left(html) == []
    assert ServiceRequest.objects.count() == before


def test_a_reply_of_only_spaces_is_refused_in_german(request_owner):
    user, request = request_owner
    client = german(user)
    response = client.post(reverse("requests:detail", args=[request.pk]), {"body": "   "})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Dieses Feld ist zwingend erforderlich." in html
    assert english_left(html) == []


def test_the_contacts_pages_and_their_errors_are_german(customer):
    client = german(customer)
    Contact.objects.create(
        customer=customer.customer,
        name="Bea Buchhaltung",
        role="Abrechnung",
        email="bea@example.com",
    )
    listing = page(client, reverse("accounts:contacts"))
    assert "Kontakt hinzufügen" in listing and "Mit Landesvorwahl." in listing
    assert english_left(listing) == []
    response = client.post(
        reverse("accounts:contacts"), {"name": "", "role": "", "email": "kein", "phone": "12"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Dieses Feld ist zwingend erforderlich." in html
    assert "Bitte gültige E-Mail-Adresse eingeben." in html
    assert "Bitte beheben Sie 4 Probleme" in html
    assert english_left(html) == [], html
    assert Contact.objects.filter(customer=customer.customer).count() == 1
    contact = Contact.objects.get(customer=customer.customer)
    edit = page(client, reverse("accounts:contact_edit", args=[contact.pk]))
    assert "Bea Buchhaltung bearbeiten" in edit
    assert english_left(edit) == []
    removed = client.post(reverse("accounts:contact_delete", args=[contact.pk]), follow=True)
    assert "Bea Buchhaltung entfernt." in removed.content.decode()


def test_the_error_pages_are_german(customer):
    client = german(customer)
    missing = page(client, "/account/contracts/999999/", status=404)
    assert "Seite nicht gefunden" in missing
    assert english_left(missing) == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Ihre Anfrage hat jetzt den Status „In Bearbeitung“"),
        ("fr", "votre demande a désormais le statut «\u00a0En cours\u00a0»"),
    ],
)
def test_the_request_update_email_is_in_the_customers_language(
    request_owner, sysops, language, said
):
    user, request = request_owner
    Customer.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    mail.outbox.clear()
    service_request_move(request=request, actor=sysops, status="in_progress", note="")
    notice = Notification.objects.filter(recipient=user, kind="service_request.status").latest("id")
    assert notice.language == language
    assert said.replace("\u00a0", " ") in notice.subject and said in notice.body_text
    assert ("Zusammenfassung:" if language == "de" else "Résumé\u00a0:") in notice.body_text
    service_request_comment(request=request, actor=sysops, body="Wir sehen es uns an.")
    reply = Notification.objects.filter(recipient=user, kind="service_request.comment").latest("id")
    assert ("eine neue Antwort von SysOps" if language == "de" else "une nouvelle réponse") in (
        reply.subject
    )


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/password/reset/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/reauthenticate/",
    ],
)
def test_the_allauth_account_pages_are_german(customer, url):
    client = german(customer)
    html = page(client, url)
    assert english_left(html) == [], strip_tags(html)


def test_the_password_reset_confirm_page_is_german(customer):
    client = german(customer)
    key = default_token_generator.make_token(customer)
    url = f"/accounts/password/reset/key/{user_pk_to_url_str(customer)}-{key}/"
    response = client.get(url, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="password1"' in html
    assert english_left(html) == [], strip_tags(html)
