"""What a customer still met in English (issue 20, docs/i18n.md): a failure on our side, the
state machine's refusal, the tax gap, the receipt's card and the money in a notice's subject.
Each is told in the reader's language; what is recorded (the admin alert, the audit log) stays
English, and English stays word for word what it was."""

import json

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from onboarding.accounts.models import Customer, User
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice
from onboarding.billing.taxes import purchase_tax
from onboarding.contracts.models import Contract, ContractState
from onboarding.core.money import Money, money_in_text
from onboarding.core.transitions import MOVE_REFUSED
from onboarding.notifications.models import Notification
from onboarding.tax.models import TaxRate
from onboarding.tax.selectors import TaxRateMissing
from tests.billing.conftest import buy, ready_customer, today
from tests.contracts.conftest import deliver_inline, paying_customer
from tests.contracts.conftest import subscribe as contract_subscription
from tests.db_faults import HICCUP, database_fails
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db

ENGLISH_FAILURE = (
    "Your changes could not be saved because of a problem on our side. "
    "Nothing was changed, and our team has been told."
)
GERMAN_FAILURE = (
    "Ihre Änderungen konnten wegen eines Problems auf unserer Seite nicht gespeichert werden. "
    "Es wurde nichts geändert, und unser Team wurde informiert."
)
FRENCH_CANCEL = (
    "Un contrat à l\u2019état «\xa0Résilié\xa0» ne peut pas passer à l\u2019état «\xa0Résilié\xa0»."
)
PROFILE = {
    "company": "Weber GmbH",
    "address_line1": "Hauptstraße 5",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
    "preferred_inbox": "in_app",
    "language": "de",
}


def _speaking(user, language: str) -> Client:
    Customer.objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user)
    return client


def _inbox_refused():
    # The customer row saves first; the user row (the preferred inbox) is refused after it: a
    # real error from the real database, rolled back by the service's transaction.
    return database_fails(
        User, "UPDATE", when="NEW.preferred_inbox = 'in_app'", name="fault_inbox_language"
    )


# --- a failure on our side ----------------------------------------------------------------------


def test_a_failure_is_told_in_german_on_the_page_and_recorded_in_english(customer):
    client = _speaking(customer, "de")
    with _inbox_refused():
        page = client.post(reverse("accounts:profile"), PROFILE)

    assert page.status_code == 200
    html = page.content.decode()
    assert GERMAN_FAILURE in html
    assert "because of a problem on our side" not in html
    # What staff read is English: the alert's message and the audit entry (the error itself).
    alert = AdminAlert.objects.get(reason="profile_update_failed")
    assert alert.message.startswith(ENGLISH_FAILURE)
    assert "Änderungen" not in alert.message and HICCUP in alert.message
    (entry,) = AuditEntry.objects.filter(action="failure.profile_update_failed")
    assert HICCUP in entry.message and "Änderungen" not in entry.message
    assert User.objects.get(pk=customer.pk).preferred_inbox == "email"  # nothing changed


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", GERMAN_FAILURE),
        (
            "fr",
            "Vos modifications n\u2019ont pas pu être enregistrées en raison d\u2019un problème "
            "de notre côté. Rien n\u2019a été modifié, et notre équipe a été prévenue.",
        ),
        ("en", ENGLISH_FAILURE),
    ],
)
def test_a_failure_in_the_api_is_in_the_calls_language(customer, language, expected):
    client = _speaking(customer, "en")  # the API follows Accept-Language, not the profile
    with _inbox_refused():
        answer = client.put(
            "/api/v1/me/profile",
            json.dumps({k: v for k, v in PROFILE.items() if k != "language"}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )

    assert answer.status_code == 503
    assert answer.json() == {"detail": expected, "code": "unavailable"}
    assert AdminAlert.objects.get(reason="profile_update_failed").message.startswith(
        ENGLISH_FAILURE
    )


# --- the state machine's refusal: cancelling twice ----------------------------------------------


@pytest.fixture
def cancelled(media) -> tuple[User, Contract]:
    user = paying_customer()
    contract = deliver_inline(contract_subscription(user, plan_with_prices("business-care")))
    client = _speaking(user, "en")
    cancel = {"cancel-confirm": "on", "cancel-reason": ""}
    client.post(reverse("contracts:cancel", args=[contract.pk]), cancel)
    contract.refresh_from_db()
    assert contract.state == ContractState.CANCELLED
    return user, contract


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Ein Vertrag im Status „Gekündigt“ kann nicht in den Status „Gekündigt“ wechseln."),
        ("fr", FRENCH_CANCEL),
        ("en", "A contract that is cancelled cannot become cancelled."),
    ],
)
def test_cancelling_twice_is_refused_on_the_page_in_the_customers_language(
    cancelled, language, expected
):
    user, contract = cancelled
    client = _speaking(user, language)
    response = client.post(
        reverse("contracts:cancel", args=[contract.pk]),
        {"cancel-confirm": "on", "cancel-reason": ""},
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [expected]
    assert Contract.objects.get(pk=contract.pk).cancelled_at == contract.cancelled_at


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Ein Vertrag im Status „Gekündigt“ kann nicht in den Status „Gekündigt“ wechseln."),
        ("fr", FRENCH_CANCEL),
        ("en", "A contract that is cancelled cannot become cancelled."),
    ],
)
def test_cancelling_twice_is_refused_in_the_apis_language(
    cancelled, sysops_client, language, expected
):
    _, contract = cancelled
    answer = sysops_client.post(
        f"/api/v1/staff/contracts/{contract.pk}/cancel",
        json.dumps({"reason": "twice"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert answer.status_code == 409
    assert answer.json() == {"detail": expected, "code": "conflict"}


def test_every_machine_has_its_sentence_in_german_and_english_is_as_it_was():
    with translation.override("de"):
        german = {what: str(sentence) for what, sentence in MOVE_REFUSED.items()}
    with translation.override("en"):
        english = {what: str(sentence) for what, sentence in MOVE_REFUSED.items()}
    for what, sentence in english.items():
        article = "An" if what[0] in "aeiou" else "A"
        assert sentence == f"{article} {what} that is {{now}} cannot become {{target}}."
        assert german[what] != sentence and "{now}" in german[what]


# --- the tax gap --------------------------------------------------------------------------------


def test_the_tax_gap_is_refused_in_the_readers_language(customer):
    buyer = ready_customer(customer, country="DE")
    # A day before the first German rate: the table has a gap for it.
    first = TaxRate.objects.filter(country="DE").order_by("valid_from").first().valid_from
    on = first.fromordinal(first.toordinal() - 1)
    with translation.override("de"), pytest.raises(TaxRateMissing) as refused:
        purchase_tax(customer=buyer, on=on)
    assert refused.value.message.startswith(
        "Wir können Kunden in Ihrem Rechnungsland derzeit keine Rechnung stellen"
    )
    assert refused.value.field == "country"


# --- the receipt's card and the money in the subject -------------------------------------------


@pytest.fixture
def german_invoice(customer) -> Invoice:
    ready = ready_customer(
        customer, company="Weber GmbH", address_line1="Hauptstraße 5", city="Berlin", country="DE"
    )
    Customer.objects.filter(pk=ready.pk).update(language="de")
    buy(Customer.objects.get(pk=ready.pk), plan_with_prices())
    with translation.override("en"):  # the worker's language does not count
        bill_run_execute(run_date=today())
        invoice_follow_up(invoice_id=Invoice.objects.get().pk)
    return Invoice.objects.get()


def test_a_german_receipt_names_the_card_in_german_and_its_subject_writes_money_in_german(
    german_invoice,
):
    mail = Notification.objects.get(kind="invoice_issued")
    assert mail.language == "de"
    # The subject (also the in-app inbox's) writes the total as German does in Germany.
    # (A subject is one line of plain spaces: notification_send folds the no-break space.)
    assert mail.subject == f"Rechnung {german_invoice.number}, 117,81 € (bezahlt)"
    assert "EUR" not in mail.subject
    # The receipt's card: its German description, not the English "(expires ...)".
    card = german_invoice.customer.payment_methods.get()
    described = f"Visa •••• {card.last4} (gültig bis {card.exp_month:02d}/{card.exp_year})"
    assert described in mail.body_text and described in mail.body_html
    assert "expires" not in mail.body_text


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("de", "DE", "1.178,10\xa0€"),
        ("de", "AT", "€\xa01.178,10"),
        ("fr", "FR", "1\u202f178,10\xa0€"),
        ("en", "DE", "1,178.10 EUR"),  # English subjects are as they always were
        ("en", "", "1,178.10 EUR"),
    ],
)
def test_money_in_a_subject_is_written_when_the_subject_is(language, country, expected):
    text = money_in_text(Money(117810, "EUR"), country=country)
    with translation.override(language):
        assert f"{text}" == expected
