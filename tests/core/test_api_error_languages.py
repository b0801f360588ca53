"""The API's validation messages in the caller's language (Accept-Language; docs/i18n.md):
pydantic's English messages are rewritten from their type code and ctx in German and French,
the project's own envelope messages are translated, English stays exactly as it was, and the
JSON shape (loc, type, ctx) does not change."""

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

PROFILE = {
    "company": "Acme GmbH",
    "address_line1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
}


def _put(client, url, body, language):
    return client.put(
        url, json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


def _post(client, url, body, language):
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


def _by_field(answer) -> dict[str, str]:
    assert answer.status_code == 422, answer.content
    return {error["loc"][-1]: error["msg"] for error in answer.json()["detail"]}


def test_profile_errors_per_field_in_german_french_and_english(customer_client):
    body = PROFILE | {"city": "", "country": "Deutschland", "vat_number": "X" * 21}
    del body["address_line1"]
    url = "/api/v1/me/profile"
    de = _by_field(_put(customer_client, url, body, "de"))
    assert de == {
        "address_line1": "Dieses Feld ist zwingend erforderlich.",
        "city": "Geben Sie mindestens 1 Zeichen ein.",
        "country": "Geben Sie höchstens 2 Zeichen ein.",
        "vat_number": "Geben Sie höchstens 20 Zeichen ein.",
    }
    fr = _by_field(_put(customer_client, url, body, "fr-FR,fr;q=0.9"))
    assert fr == {
        "address_line1": "Ce champ est obligatoire.",
        "city": "Saisissez au moins 1 caractère.",
        "country": "Saisissez au plus 2 caractères.",
        "vat_number": "Saisissez au plus 20 caractères.",
    }
    en = _by_field(_put(customer_client, url, body, "en"))
    assert en == {
        "address_line1": "Field required",
        "city": "String should have at least 1 character",
        "country": "String should have at most 2 characters",
        "vat_number": "String should have at most 20 characters",
    }


def test_the_shape_is_the_same_in_every_language(customer_client):
    body = PROFILE | {"preferred_inbox": "pigeon", "country": "1x"}
    answers = {
        lang: _put(customer_client, "/api/v1/me/profile", body, lang).json()["detail"]
        for lang in ("en", "de", "fr")
    }
    strip = [[{k: v for k, v in e.items() if k != "msg"} for e in d] for d in answers.values()]
    assert strip[0] == strip[1] == strip[2]
    assert {e["type"] for e in answers["de"]} == {"literal_error", "string_pattern_mismatch"}
    de = {e["loc"][-1]: e["msg"] for e in answers["de"]}
    assert de["preferred_inbox"] == "Wählen Sie einen dieser Werte: 'email', 'in_app'."
    assert de["country"] == "Geben Sie einen Wert im erwarteten Format ein."
    fr = {e["loc"][-1]: e["msg"] for e in answers["fr"]}
    assert fr["preferred_inbox"] == "Choisissez l\u2019une de ces valeurs\u00a0: 'email', 'in_app'."


def test_contact_request_and_purchase_errors_in_german_and_french(customer_client):
    contact = {"name": "", "role": "CTO", "email": "a@b"}
    assert _by_field(_post(customer_client, "/api/v1/me/contacts", contact, "de")) == {
        "name": "Geben Sie mindestens 1 Zeichen ein."
    }
    opened = {"subscription_id": 0, "kind": "nap", "summary": "Broken", "description": "x"}
    de = _by_field(_post(customer_client, "/api/v1/me/requests", opened, "de"))
    assert de == {
        "subscription_id": "Geben Sie einen Wert von mindestens 1 ein.",
        "kind": "Wählen Sie einen dieser Werte: 'repair', 'troubleshoot'.",
    }
    fr = _by_field(_post(customer_client, "/api/v1/me/requests", opened, "fr"))
    assert fr["subscription_id"] == "Saisissez une valeur d\u2019au moins 1."
    buy = {"plan": "gold", "cycle": 12}
    assert _by_field(_post(customer_client, "/api/v1/me/subscriptions", buy, "fr")) == {
        "cycle": "Saisissez un texte."
    }
    assert _by_field(_post(customer_client, "/api/v1/me/subscriptions", buy, "en")) == {
        "cycle": "Input should be a valid string"
    }


def test_the_profiles_own_field_errors_are_translated(customer_client):
    body = PROFILE | {"vat_number": "GR123456789"}
    url = "/api/v1/me/profile"
    assert _by_field(_put(customer_client, url, body, "de")) == {
        "vat_number": "Griechische USt-IdNr. beginnen mit EL, nicht mit GR."
    }
    assert _by_field(_put(customer_client, url, body, "en")) == {
        "vat_number": "Greek VAT numbers start with EL, not GR."
    }
    # A model's full_clean refusal: Django's own message, from Django's French catalogue.
    language = _by_field(_put(customer_client, url, PROFILE | {"language": "tlh"}, "fr"))
    assert language == {"language": "La valeur «\u00a0'tlh'\u00a0» n\u2019est pas un choix valide."}


def test_the_envelopes_own_messages_are_translated(client, customer_client):
    assert client.get("/api/v1/me/profile", HTTP_ACCEPT_LANGUAGE="de").json() == {
        "detail": "Nicht angemeldet"
    }
    assert client.get("/api/v1/me/profile", HTTP_ACCEPT_LANGUAGE="en").json() == {
        "detail": "Unauthorized"
    }
    missing = customer_client.get("/api/v1/me/requests/999999", HTTP_ACCEPT_LANGUAGE="fr")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Introuvable.", "code": "not_found"}
    nul = _put(customer_client, "/api/v1/me/profile", PROFILE | {"city": "a\x00b"}, "de")
    assert _by_field(nul) == {"city": "Der Text darf keine NUL-Zeichen enthalten."}
    wrong = customer_client.patch("/api/v1/me/profile", HTTP_ACCEPT_LANGUAGE="de")
    assert wrong.json() == {"detail": "Methode nicht erlaubt.", "code": "method_not_allowed"}


def _german_patterns() -> list[re.Pattern]:
    path = Path(django_settings.BASE_DIR) / "locale/de/LC_MESSAGES/django.po"
    with path.open("rb") as po:
        catalogue = read_po(po)
    patterns = []
    for message in catalogue:
        if not message.id:
            continue
        for text in message.string if isinstance(message.string, tuple) else [message.string]:
            parts = re.split(r"(\{\w+\}|%\(\w+\)d)", text)
            regex = "".join(
                ".+" if re.fullmatch(r"\{\w+\}|%\(\w+\)d", p) else re.escape(p) for p in parts
            )
            patterns.append(re.compile(regex))
    return patterns


GERMAN = _german_patterns()
TEXT_FIELDS = {
    "company": 200,
    "vat_number": 20,
    "phone": 40,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "postal_code": 20,
    "region": 100,
    "time_zone": 64,
    "language": 8,
}
REQUIRED = ["address_line1", "city", "postal_code", "country"]
NOT_TEXT = st.one_of(
    st.integers(), st.booleans(), st.lists(st.integers(), max_size=2), st.just({"a": 1})
)


@st.composite
def bad_profiles(draw):
    """A profile body with at least one thing pydantic refuses (so no handler runs)."""
    body = dict(PROFILE)
    breaks = draw(
        st.lists(
            st.sampled_from(["missing", "too_long", "not_text", "country", "inbox", "empty"]),
            min_size=1,
            max_size=4,
        )
    )
    for kind in breaks:
        if kind == "missing":
            body.pop(draw(st.sampled_from(REQUIRED)), None)
        elif kind == "too_long":
            field, cap = draw(st.sampled_from(sorted(TEXT_FIELDS.items())))
            body[field] = "x" * (cap + draw(st.integers(1, 50)))
        elif kind == "not_text":
            body[draw(st.sampled_from(sorted(TEXT_FIELDS)))] = draw(NOT_TEXT)
        elif kind == "country":
            body["country"] = draw(st.sampled_from(["D", "DEU", "1A", "", "ÄÖ"]))
        elif kind == "inbox":
            body["preferred_inbox"] = draw(
                st.text(min_size=1, max_size=10).filter(
                    lambda t: t not in ("email", "in_app") and "\x00" not in t
                )
            )
        else:
            body[draw(st.sampled_from(["address_line1", "city", "postal_code"]))] = ""
    return body


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bad_profiles())
def test_every_german_profile_message_is_from_the_german_catalogue(customer_client, body):
    answer = _put(customer_client, "/api/v1/me/profile", body, "de")
    assert answer.status_code == 422, (body, answer.content)
    errors = answer.json()["detail"]
    assert errors
    english = _put(customer_client, "/api/v1/me/profile", body, "en").json()["detail"]
    assert [e["loc"] for e in english] == [e["loc"] for e in errors]
    for error, in_english in zip(errors, english, strict=True):
        assert any(p.fullmatch(error["msg"]) for p in GERMAN), error
        assert error["msg"] != in_english["msg"], error
