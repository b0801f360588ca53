"""The catalogue's prose in the reader's language (docs/i18n.md "Catalogue data"): a plan's
summary, "includes" and unit words, on pricing, the account page and a contract, in German and
French, English where a language's text is missing; country names and the role in the header in
the reader's language; staff enter the texts in the admin, which refuses a language the site
does not speak."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from onboarding.accounts.models import Customer
from onboarding.catalog.models import Plan, Product
from onboarding.catalog.translations import translations_check
from onboarding.contracts.models import Contract
from onboarding.demo.services import (
    PLAN_TRANSLATIONS,
    PLANS,
    PRODUCT_TRANSLATIONS,
    PRODUCTS,
    _translations_of,
)
from tests.billing.test_german_billing_pages import english_left, main_text
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe
from tests.factories import UserFactory, complete_profile, plan_with_prices

pytestmark = pytest.mark.django_db

GERMAN = {
    "summary": "Betreuung zu Geschäftszeiten",
    "includes": "Hilfe per E-Mail und Telefon\nFehlerbehebung aus der Ferne",
    "unit_name": "Arbeitsplatz",
    "unit_name_plural": "Arbeitsplätze",
}
FRENCH = {
    "summary": "Assistance aux heures ouvrées",
    "includes": "Assistance par e-mail et par téléphone\nDépannage à distance",
    "unit_name": "poste",
    "unit_name_plural": "postes",
}
# The English of tests.factories.plan_with_prices, none of which may be left on a German page.
PLAN_ENGLISH = ["Business-hours support", "Email and phone support", "Remote troubleshooting"]


def translated_plan(slug: str = "business-care", **languages) -> Plan:
    plan = plan_with_prices(slug)
    plan.translations = languages or {"de": GERMAN, "fr": FRENCH}
    plan.full_clean()
    plan.save()
    return plan


def reader(language: str, *, country: str = "DE", quantity: int = 1, plan: Plan | None = None):
    """A signed-in customer in `country` reading `language`, with `plan` bought if given."""
    user = paying_customer(email=f"{language}-{country}@example.com".lower())
    complete_profile(user.customer, country=country, city="Berlin", company="Kunde GmbH")
    Customer.objects.filter(pk=user.pk).update(language=language)
    subscription = None
    if plan is not None:
        subscription = subscribe(user, plan)
        subscription.quantity = quantity
        subscription.save(update_fields=["quantity"])
    client = Client()
    client.force_login(user)
    return client, subscription


# -- the selector ----------------------------------------------------------------------------


def test_text_is_in_the_asked_or_active_language_and_english_where_it_is_missing():
    plan = translated_plan(de=GERMAN, fr={"summary": "Assistance aux heures ouvrées"})
    assert plan.text("summary", "de") == GERMAN["summary"]
    assert plan.text("summary", "de-at") == GERMAN["summary"]  # a regional variant: its language
    assert plan.text("summary", "en") == "Business-hours support"
    assert plan.include_lines_in("fr") == PLAN_ENGLISH[1:]  # French has no "includes": English
    assert plan.units_word(1, "fr") == "seat" and plan.units_word(3, "de") == "Arbeitsplätze"
    with translation.override("de"):
        assert plan.text("summary") == GERMAN["summary"]
    with translation.override("fr"):
        assert plan.include_lines_in() == ["Email and phone support", "Remote troubleshooting"]
    assert plan.include_lines == PLAN_ENGLISH[1:]  # the English, as entered


def test_a_blank_text_is_english_and_is_not_kept():
    plan = plan_with_prices()
    plan.translations = {"de": {"summary": "   ", "includes": "Nur E-Mail"}}
    plan.full_clean()
    assert plan.translations == {"de": {"includes": "Nur E-Mail"}}
    assert plan.text("summary", "de") == "Business-hours support"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ({"it": {"summary": "Assistenza"}}, "it is not a language of this site"),
        ({"en": {"summary": "Support"}}, "en is not a language of this site"),
        ({"de": {"name": "Geschäftskunden"}}, "name is not translated here"),
        ({"de": {"summary": 3}}, "summary must be text"),
        ({"de": "Betreuung"}, "give an object of texts by field"),
        (["de"], "Give the texts as an object by language code"),
    ],
)
def test_a_language_the_site_does_not_speak_or_a_field_not_translated_is_a_field_error(value, says):
    plan = plan_with_prices()
    plan.translations = value
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert list(refused.value.message_dict) == ["translations"]
    assert any(says in message for message in refused.value.message_dict["translations"])


def test_the_languages_offered_are_the_sites_own(settings):
    settings.LANGUAGES = [*settings.LANGUAGES, ("it", "Italiano")]
    plan = plan_with_prices()
    plan.translations = {"it": {"summary": "Assistenza in orario d'ufficio"}}
    plan.full_clean()  # a language added to the site is accepted at once
    assert plan.text("summary", "it") == "Assistenza in orario d'ufficio"


# -- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "texts"), [("de", GERMAN), ("fr", FRENCH)])
def test_the_pricing_page_shows_the_plan_in_the_readers_language(client, language, texts):
    translated_plan()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/pricing/?cycle=monthly&country=DE")
    assert page.status_code == 200
    text = main_text(page)
    assert texts["summary"] in text
    for line in texts["includes"].splitlines():
        assert f"<li>{line}</li>" in page.content.decode()
    assert not [english for english in PLAN_ENGLISH if english in text]
    # The country select and the tax sentence name the country in the reader's language.
    country = {"de": "Deutschland", "fr": "Allemagne"}[language]
    assert re.search(rf'<option value="DE" selected>{country}</option>', page.content.decode())
    assert country in text


def test_the_pricing_page_keeps_english_and_a_language_without_text_falls_back(client):
    translated_plan(de=GERMAN)
    english = main_text(client.get("/pricing/?cycle=monthly"))
    assert "Business-hours support" in english and GERMAN["summary"] not in english
    # The cards are rendered once and kept (catalog/views.py): per language, not the first one's.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert GERMAN["summary"] in main_text(client.get("/pricing/?cycle=monthly"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    french = client.get("/pricing/?cycle=monthly")
    assert "Business-hours support" in main_text(french)  # no French text: English
    assert "Remote troubleshooting" in main_text(french)


def test_a_german_customers_account_page_has_german_units_role_and_no_english():
    client, subscription = reader("de", quantity=3, plan=translated_plan())
    page = client.get("/account/")
    assert page.status_code == 200
    text = main_text(page)
    assert "3 Arbeitsplätze" in text
    assert not re.search(r"\bseats?\b", text)
    plan = subscription.plan
    assert english_left(text, plan.name, plan.product.name, "Kunde GmbH", "Helpdesk Suite") == []
    who = re.search(r'<span class="who">([^<]+)</span>', page.content.decode()).group(1)
    assert who.endswith("· Kunde"), who


def test_a_french_customers_header_names_the_role_in_french():
    client, _subscription = reader("fr", country="FR")
    page = client.get("/account/").content.decode()
    assert re.search(r'<span class="who">[^<]+· Client</span>', page)


@pytest.mark.parametrize(("language", "country"), [("de", "Deutschland"), ("fr", "Allemagne")])
def test_the_profile_country_select_is_in_the_readers_language(language, country):
    client, _subscription = reader(language)
    page = client.get("/account/profile/").content.decode()
    assert re.search(rf'<option value="DE" selected>{country}</option>', page)
    assert ">Germany<" not in page


def test_a_german_contract_states_the_plans_terms_in_german(media):
    plan = translated_plan()
    client, subscription = reader("de", plan=plan)
    contract = deliver_inline(subscription)
    assert contract.language == "de"
    assert contract.service_terms["summary"] == GERMAN["summary"]
    assert contract.service_terms["includes"] == GERMAN["includes"].splitlines()

    page = client.get(f"/account/contracts/{contract.pk}/")
    assert page.status_code == 200
    text = main_text(page)
    assert GERMAN["summary"] in text and "Fehlerbehebung aus der Ferne" in text
    assert not [english for english in PLAN_ENGLISH if english in text]

    # The snapshot is the contract's: a later edit of the catalogue does not rewrite it.
    plan.translations = {"de": {**GERMAN, "summary": "Neuer Text"}}
    plan.save()
    assert GERMAN["summary"] in main_text(client.get(f"/account/contracts/{contract.pk}/"))


def test_an_english_contract_keeps_the_english_terms(media):
    user = UserFactory(email="english@example.com")
    complete_profile(user.customer)
    contract = deliver_inline(subscribe(user, translated_plan()))
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.language == "en"
    assert contract.service_terms["summary"] == "Business-hours support"
    assert contract.service_terms["includes"] == PLAN_ENGLISH[1:]


# -- admin -----------------------------------------------------------------------------------


def _plan_form(plan: Plan, translations: str) -> dict:
    return {
        "product": plan.product_id,
        "name": plan.name,
        "slug": plan.slug,
        "tier": plan.tier,
        "summary": plan.summary,
        "includes": plan.includes,
        "response_time_hours": plan.response_time_hours,
        "term_months": plan.term_months,
        "is_active": "on",
        "sort_order": 0,
        "unit_name": plan.unit_name,
        "unit_name_plural": plan.unit_name_plural,
        "min_quantity": 1,
        "max_quantity": "",
        "translations": translations,
        "prices-TOTAL_FORMS": 0,
        "prices-INITIAL_FORMS": 0,
        "prices-MIN_NUM_FORMS": 0,
        "prices-MAX_NUM_FORMS": 1000,
    }


def test_staff_enter_the_translations_in_the_admin(admin_client_2fa):
    plan = plan_with_prices()
    posted = admin_client_2fa.post(
        f"/admin/catalog/plan/{plan.pk}/change/",
        _plan_form(plan, '{"de": {"summary": "Betreuung zu Geschäftszeiten"}}'),
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.translations == {"de": {"summary": "Betreuung zu Geschäftszeiten"}}


def test_the_admin_refuses_a_language_the_site_does_not_speak_on_the_field(admin_client_2fa):
    plan = plan_with_prices()
    refused = admin_client_2fa.post(
        f"/admin/catalog/plan/{plan.pk}/change/",
        _plan_form(plan, '{"it": {"summary": "Assistenza"}}'),
    )
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert list(errors) == ["translations"]
    assert "it is not a language of this site; use one of: de, fr." in errors["translations"]
    plan.refresh_from_db()
    assert plan.translations == {}


def test_the_product_admin_takes_a_translated_description(admin_client_2fa):
    product = plan_with_prices().product
    posted = admin_client_2fa.post(
        f"/admin/catalog/product/{product.pk}/change/",
        {
            "name": product.name,
            "slug": product.slug,
            "description": "Ticketing and live chat.",
            "translations": '{"fr": {"description": "Gestion des tickets."}}',
            "released_on": "2020-01-15",
        },
    )
    assert posted.status_code == 302
    product.refresh_from_db()
    assert product.text("description", "fr") == "Gestion des tickets."
    assert product.text("description", "de") == "Ticketing and live chat."


# -- demo ------------------------------------------------------------------------------------


def test_the_demo_has_german_and_french_text_for_every_plan_and_product():
    for slug in [plan[1] for plan in PLANS]:
        texts = _translations_of(slug, PLAN_TRANSLATIONS, units=True)
        assert set(texts) == {"de", "fr"}
        for language in texts:
            assert set(texts[language]) == set(Plan.TRANSLATED_FIELDS), (slug, language)
        assert translations_check(texts, Plan.TRANSLATED_FIELDS) == texts
    for _name, slug, *_rest in PRODUCTS:
        texts = _translations_of(slug, PRODUCT_TRANSLATIONS)
        assert translations_check(texts, Product.TRANSLATED_FIELDS) == texts
        assert set(texts) == {"de", "fr"}


def test_the_catalogue_api_answers_in_the_calls_language(client):
    translated_plan(de=GERMAN)
    german = client.get("/api/v1/catalog/plans/business-care", HTTP_ACCEPT_LANGUAGE="de").json()
    assert german["summary"] == GERMAN["summary"]
    assert german["includes"] == GERMAN["includes"].splitlines()
    assert german["name"] == "Business Care"  # a name
    french = client.get("/api/v1/catalog/plans/business-care", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["summary"] == "Business-hours support"  # no French text: English
    english = client.get("/api/v1/catalog/plans/business-care").json()
    assert english["includes"] == PLAN_ENGLISH[1:]


@pytest.mark.parametrize(
    ("language", "says"),
    [("de", "Nicht per E-Mail gesendet"), ("fr", "Non envoyé par e-mail"), ("en", "Not emailed")],
)
def test_the_contracts_delivery_note_is_in_the_readers_language(language, says, media):
    user = paying_customer(verified=False, email=f"unverified-{language}@example.com")
    Customer.objects.filter(pk=user.pk).update(language=language)
    contract = deliver_inline(subscribe(user, plan_with_prices()))
    assert contract.delivery_note.startswith("Not emailed")  # stored in English, as staff read it
    client = Client()
    client.force_login(user)
    note = re.search(
        r'<p class="message warning" role="status">([^<]+)</p>',
        client.get(f"/account/contracts/{contract.pk}/").content.decode(),
    )
    assert note and note.group(1).startswith(says), note


def test_the_admin_shows_the_translations_indented_with_their_accents(admin_client_2fa):
    plan = translated_plan(de=GERMAN)
    page = admin_client_2fa.get(f"/admin/catalog/plan/{plan.pk}/change/").content.decode()
    assert "&quot;summary&quot;: &quot;Betreuung zu Geschäftszeiten&quot;" in page
    assert "\n  &quot;de&quot;: {\n    &quot;summary" in page


def test_clearing_the_translations_in_the_admin_leaves_english_only(admin_client_2fa):
    plan = translated_plan(de=GERMAN)
    posted = admin_client_2fa.post(f"/admin/catalog/plan/{plan.pk}/change/", _plan_form(plan, ""))
    assert posted.status_code == 302
    plan.refresh_from_db()
    assert plan.translations == {}
    assert plan.text("summary", "de") == "Business-hours support"
