"""The services' own refusals in the reader's language (docs/i18n.md, issue 20): a customer's
page in their profile language, the API in the call's Accept-Language. English stays word for
word what it was, the API's `code` and `field` are the same in every language, and what the
audit log records stays English."""

import json

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from onboarding.accounts.models import Customer
from onboarding.accounts.validators import GuessablePasswordValidator, validate_postal_code
from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Subscription, SubscriptionStatus
from onboarding.contracts.models import Contract
from onboarding.sysops.models import RequestStatus, ServiceRequest
from tests.contracts.conftest import deliver_inline, paying_customer
from tests.contracts.conftest import subscribe as contract_subscription
from tests.factories import complete_profile, plan_with_prices
from tests.payments.helpers import card_on_file
from tests.sysops.conftest import open_request
from tests.sysops.conftest import subscribe as request_subscription

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "de", "fr")


def _speaking(user, language: str) -> Client:
    """A signed-in client for `user`, whose profile language is `language`."""
    Customer.objects.filter(pk=user.pk).update(language=language)  # after any profile save
    client = Client()
    client.force_login(user)
    return client


def _api(client, method, url, body=None, *, language):
    data = json.dumps(body) if body is not None else None
    call = getattr(client, method)
    if data is None:
        return call(url, HTTP_ACCEPT_LANGUAGE=language)
    return call(url, data, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)


def _answers(client, method, url, body=None) -> dict[str, tuple[int, dict]]:
    return {
        language: (answer.status_code, answer.json())
        for language in LANGUAGES
        for answer in [_api(client, method, url, body, language=language)]
    }


def _same_but_detail(answers: dict[str, tuple[int, dict]]) -> None:
    """Status, code and field do not depend on the language; only the words do."""
    shapes = {
        (status, tuple(sorted((k, v) for k, v in body.items() if k != "detail")))
        for status, body in answers.values()
    }
    assert len(shapes) == 1, shapes
    details = [body["detail"] for _, body in answers.values()]
    assert len(set(details)) == len(details), details


def _flashes(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


# --- purchase ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Add a card before you buy."),
        ("de", "Hinterlegen Sie eine Karte, bevor Sie kaufen."),
        ("fr", "Ajoutez une carte avant d\u2019acheter."),
    ],
)
def test_buying_without_a_card_is_refused_on_the_page_in_the_customers_language(
    customer, language, expected
):
    plan = plan_with_prices()
    complete_profile(customer.customer)
    client = _speaking(customer, language)
    response = client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    assert response.status_code == 422
    assert list(response.context["form"].non_field_errors()) == [expected]
    assert not Subscription.objects.exists()


def test_buying_without_a_card_is_refused_in_the_apis_language(customer, customer_client):
    plan = plan_with_prices()
    complete_profile(customer.customer)
    answers = _answers(
        customer_client, "post", "/api/v1/me/subscriptions", {"plan": plan.slug, "cycle": "annual"}
    )
    assert answers == {
        "en": (
            400,
            {"detail": "Add a card before you buy.", "code": "invalid", "field": "payment_method"},
        ),
        "de": (
            400,
            {
                "detail": "Hinterlegen Sie eine Karte, bevor Sie kaufen.",
                "code": "invalid",
                "field": "payment_method",
            },
        ),
        "fr": (
            400,
            {
                "detail": "Ajoutez une carte avant d\u2019acheter.",
                "code": "invalid",
                "field": "payment_method",
            },
        ),
    }


def test_buying_twice_and_an_unknown_cycle_are_refused_in_german_and_french(
    customer, customer_client
):
    plan = plan_with_prices()
    complete_profile(customer.customer)
    card_on_file(customer.customer)
    buy = {"plan": plan.slug, "cycle": "annual"}
    assert (
        _api(customer_client, "post", "/api/v1/me/subscriptions", buy, language="en").status_code
        == 201
    )
    again = _answers(customer_client, "post", "/api/v1/me/subscriptions", buy)
    _same_but_detail(again)
    assert again["en"][1]["detail"] == f"You already have {plan.name}."
    assert again["de"][1]["detail"] == f"Sie haben {plan.name} bereits."
    assert again["fr"][1]["detail"] == f"Vous avez déjà {plan.name}."
    assert again["de"][1]["code"] == "conflict"
    weekly = _answers(
        customer_client, "post", "/api/v1/me/subscriptions", {"plan": plan.slug, "cycle": "weekly"}
    )
    _same_but_detail(weekly)
    assert weekly["en"][1]["detail"] == "Choose a billing cycle: monthly, quarterly, annual."
    assert weekly["de"][1]["detail"] == (
        "Wählen Sie einen Abrechnungszeitraum: monthly, quarterly, annual."
    )
    assert weekly["fr"][1]["detail"] == (
        "Choisissez une périodicité de facturation\u00a0: monthly, quarterly, annual."
    )


# --- card -------------------------------------------------------------------------------------


def test_card_refusals_in_the_apis_language_and_the_audit_stays_english(customer, customer_client):
    complete_profile(customer.customer)
    none = _answers(customer_client, "get", "/api/v1/me/card")
    _same_but_detail(none)
    assert {language: body["detail"] for language, (_, body) in none.items()} == {
        "en": "No card on file.",
        "de": "Es ist keine Karte hinterlegt.",
        "fr": "Aucune carte enregistrée.",
    }
    assert none["de"] == (404, {"detail": "Es ist keine Karte hinterlegt.", "code": "not_found"})

    card_on_file(customer.customer)
    card = {"number": "5555555555554444", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    replace = _answers(customer_client, "post", "/api/v1/me/card", card)
    _same_but_detail(replace)
    assert replace["en"][1] == {
        "detail": "Confirm your current password to replace the card.",
        "code": "invalid",
        "field": "password",
    }
    assert replace["de"][1]["detail"] == (
        "Bestätigen Sie Ihr aktuelles Passwort, um die Karte zu ersetzen."
    )
    assert replace["fr"][1]["detail"] == (
        "Confirmez votre mot de passe actuel pour remplacer la carte."
    )
    # Three refusals, one per language: the audit log says each in English.
    audited = AuditEntry.objects.filter(action="payment_method.replace_refused")
    assert list(audited.values_list("message", flat=True)) == ["password not confirmed"] * 3


# --- plan and cycle change --------------------------------------------------------------------


def test_plan_and_cycle_change_refusals_in_the_apis_language(customer, customer_client):
    plan = plan_with_prices()
    complete_profile(customer.customer)
    card_on_file(customer.customer)
    bought = _api(
        customer_client,
        "post",
        "/api/v1/me/subscriptions",
        {"plan": plan.slug, "cycle": "monthly"},
        language="en",
    )
    subscription_id = bought.json()["id"]
    url = f"/api/v1/me/subscriptions/{subscription_id}/plan-change/preview"
    unknown = _answers(customer_client, "post", url, {"plan": "no-such-plan", "quantity": 1})
    _same_but_detail(unknown)
    assert {language: body["detail"] for language, (_, body) in unknown.items()} == {
        "en": "That plan does not exist or is no longer on sale.",
        "de": "Diesen Tarif gibt es nicht oder er wird nicht mehr angeboten.",
        "fr": "Cette offre n\u2019existe pas ou n\u2019est plus en vente.",
    }

    Subscription.objects.filter(pk=subscription_id).update(status=SubscriptionStatus.CANCELLED)
    cycle = _answers(
        customer_client,
        "put",
        f"/api/v1/me/subscriptions/{subscription_id}/cycle",
        {"cycle": "annual"},
    )
    _same_but_detail(cycle)
    assert cycle["en"][1] == {
        "detail": "A cancelled subscription's billing cycle cannot change.",
        "code": "conflict",
        "field": "cycle",
    }
    assert cycle["de"][1]["detail"] == (
        "Der Abrechnungszeitraum eines gekündigten Abonnements lässt sich nicht ändern."
    )
    assert cycle["fr"][1]["detail"] == (
        "La périodicité de facturation d\u2019un abonnement résilié ne peut pas changer."
    )


# --- requests ---------------------------------------------------------------------------------


@pytest.fixture
def closed_request(customer):
    opened = open_request(request_subscription(customer, plan_with_prices()))
    ServiceRequest.objects.filter(pk=opened.pk).update(status=RequestStatus.CLOSED)
    return opened


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "This request is closed. Open a new request instead."),
        ("de", "Diese Anfrage ist geschlossen. Stellen Sie stattdessen eine neue Anfrage."),
        ("fr", "Cette demande est clôturée. Ouvrez plutôt une nouvelle demande."),
    ],
)
def test_a_reply_to_a_closed_request_is_refused_on_the_page_in_the_customers_language(
    customer, closed_request, language, expected
):
    client = _speaking(customer, language)
    url = reverse("requests:detail", args=[closed_request.pk])
    response = client.post(url, {"body": "Still broken."})
    assert response.status_code == 422
    assert expected in [
        str(e) for errors in response.context["form"].errors.values() for e in errors
    ]


def test_a_reply_to_a_closed_request_is_refused_in_the_apis_language(
    customer_client, closed_request
):
    url = f"/api/v1/me/requests/{closed_request.pk}/comments"
    answers = _answers(customer_client, "post", url, {"body": "Still broken."})
    _same_but_detail(answers)
    assert answers["en"][1]["detail"] == "This request is closed. Open a new request instead."
    assert answers["de"][1]["detail"] == (
        "Diese Anfrage ist geschlossen. Stellen Sie stattdessen eine neue Anfrage."
    )
    assert (
        answers["fr"][1]["detail"]
        == "Cette demande est clôturée. Ouvrez plutôt une nouvelle demande."
    )


# --- contracts --------------------------------------------------------------------------------


@pytest.fixture
def contract_owner(media):
    user = paying_customer()
    contract = deliver_inline(contract_subscription(user, plan_with_prices("business-care")))
    return user, contract


def test_contract_refusals_in_the_apis_language_and_the_audit_stays_english(contract_owner):
    user, contract = contract_owner
    client = Client()
    client.force_login(user)
    certificate = _answers(client, "get", f"/api/v1/me/contracts/{contract.pk}/certificate")
    _same_but_detail(certificate)
    assert {language: body["detail"] for language, (_, body) in certificate.items()} == {
        "en": "The current version of this contract is not acknowledged yet.",
        "de": "Die aktuelle Version dieses Vertrags ist noch nicht bestätigt.",
        "fr": "La version actuelle de ce contrat n\u2019est pas encore acceptée.",
    }
    wrong = {"name": "Ada Lovelace", "document_sha256": "0" * 64}
    acknowledged = _answers(
        client, "post", f"/api/v1/me/contracts/{contract.pk}/acknowledge", wrong
    )
    _same_but_detail(acknowledged)
    assert acknowledged["de"][1]["field"] == "document_sha256"
    assert acknowledged["de"][1]["detail"].startswith("Der Vertrag, den Sie gelesen haben")
    # The refusal shown is German or French; what the audit log keeps is English, every time.
    audited = AuditEntry.objects.filter(action="contract.acknowledge_refused")
    assert set(audited.values_list("message", flat=True)) == {
        "the document acknowledged is not the current stored document"
    }
    assert audited.count() == 3
    assert Contract.objects.get(pk=contract.pk).state == contract.state


def test_a_contract_acknowledgement_refused_on_the_page_is_in_the_customers_language(
    contract_owner,
):
    user, contract = contract_owner
    for language, expected in [
        ("en", "The contract you read is not the current version."),
        ("de", "Der Vertrag, den Sie gelesen haben, ist nicht die aktuelle Version."),
        ("fr", "Le contrat que vous avez lu n\u2019est pas la version actuelle."),
    ]:
        client = _speaking(user, language)
        response = client.post(
            reverse("contracts:acknowledge", args=[contract.pk]),
            {"name": "Ada Lovelace", "document_sha256": "0" * 64, "confirm": "on"},
        )
        assert response.status_code == 422, language
        assert expected in response.content.decode(), language


# --- contacts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "added"),
    [("en", "Contact added."), ("de", "Kontakt hinzugefügt."), ("fr", "Contact ajouté.")],
)
def test_the_contacts_flash_is_in_the_customers_language(customer, language, added):
    client = _speaking(customer, language)
    response = client.post(
        reverse("accounts:contacts"),
        {"name": "Grace Hopper", "role": "Technical", "email": "grace@example.com", "phone": ""},
    )
    assert response.status_code == 302
    assert _flashes(response) == [added]


# --- validators -------------------------------------------------------------------------------


def _refusal(check, *args) -> str:
    with pytest.raises(ValidationError) as refused:
        check(*args)
    return " ".join(refused.value.messages)


def test_password_advice_is_translated_and_english_is_zxcvbns_own():
    validator = GuessablePasswordValidator()
    said = {}
    for language in LANGUAGES:
        with translation.override(language):
            said[language] = _refusal(validator.validate, "abcdefghij")
    assert said["en"] == (
        'This password is too easy to guess. Sequences like "abc" or "6543" are easy to guess. '
        "Add another word or two. Uncommon words are better. Avoid sequences."
    )
    assert said["de"] == (
        "Dieses Passwort ist zu leicht zu erraten. Folgen wie \u201eabc\u201c oder "
        "\u201e6543\u201c sind leicht zu erraten. Fügen Sie ein oder zwei Wörter hinzu. "
        "Ungewöhnliche Wörter sind besser. Vermeiden Sie Zeichenfolgen."
    )
    quoted = "\u00ab\u00a0{}\u00a0\u00bb".format
    assert said["fr"] == (
        f"Ce mot de passe est trop facile à deviner. Les suites comme {quoted('abc')} ou "
        f"{quoted('6543')} sont faciles à deviner. Ajoutez un ou deux mots. Les mots peu "
        "courants sont préférables. Évitez les suites."
    )


def test_the_postal_code_format_is_named_in_the_readers_language():
    expected = {
        "en": "A German postal code has 5 digits, like 10115.",
        "de": "Eine deutsche Postleitzahl hat 5 Ziffern, zum Beispiel 10115.",
        "fr": "Un code postal allemand comporte 5 chiffres, par exemple 10115.",
    }
    for language, message in expected.items():
        with translation.override(language):
            assert _refusal(validate_postal_code, "1234", "DE") == message


def test_a_card_the_gateway_refuses_is_refused_in_the_apis_language_and_audited_in_english(
    customer, customer_client
):
    complete_profile(customer.customer)
    declined = {"number": "4000000000000002", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    answers = _answers(customer_client, "post", "/api/v1/me/card", declined)
    _same_but_detail(answers)
    assert answers["en"][1]["detail"] == "Your card was declined. Try another card."
    assert answers["de"][1]["detail"] == (
        "Ihre Karte wurde abgelehnt. Versuchen Sie es mit einer anderen Karte."
    )
    assert answers["fr"][1]["detail"].startswith("Votre carte a été refusée")
    audited = AuditEntry.objects.filter(action="payment_method.add_failed")
    assert set(audited.values_list("message", flat=True)) == {
        "card_declined: Your card was declined. Try another card."
    }
