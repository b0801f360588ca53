"""The customer's VAT number: optional, checked against its country's format, stored as tax
offices print it, editable on the profile page and through the API, audited like the other
profile fields."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from onboarding.accounts.validators import (
    VAT_NUMBER_EXAMPLES,
    VAT_NUMBER_FORMATS,
    validate_vat_number,
    vat_number_normalize,
)
from onboarding.audit.models import AuditEntry
from tests.factories import complete_profile

pytestmark = pytest.mark.django_db

PROFILE = {
    "company": "Initech GmbH",
    "phone": "",
    "address_line1": "Hauptstraße 1",
    "address_line2": "",
    "city": "Berlin",
    "postal_code": "10115",
    "region": "",
    "country": "DE",
    "preferred_inbox": "email",
}
API = "/api/v1/me/profile"


@pytest.mark.parametrize(
    "number",
    [
        "DE136695976",
        "FR40303265045",
        "NL004495445B01",
        "ATU13585627",
        "EL094259216",
        "ESA28015865",
        "IE6388047V",
        "GB980780684",
        "CHE116281710MWST",
        "",
    ],
)
def test_numbers_in_their_countrys_format_are_accepted(number):
    validate_vat_number(number)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("136695976", "country prefix"),
        ("XX136695976", "country prefix"),
        ("GR094259216", "start with EL"),
        ("DE13669597", "DE VAT number"),
        ("DE1366959761", "DE VAT number"),
        ("NL004495445A01", "NL VAT number"),
        ("ATB13585627", "AT VAT number"),
        ("DE\x00136695976", "DE VAT number"),
        # Arabic-Indic digits are digits to Python, not to a tax office.
        ("DE" + "".join(chr(0x660 + int(d)) for d in "136695976"), "DE VAT number"),
    ],
)
def test_numbers_without_a_known_prefix_or_in_the_wrong_format_are_refused(number, why):
    with pytest.raises(ValidationError) as refused:
        validate_vat_number(number)
    assert why in refused.value.messages[0]


def test_an_unknown_prefix_is_named_and_the_expected_shape_shown():
    with pytest.raises(ValidationError) as refused:
        validate_vat_number("XX12")
    message = refused.value.messages[0]
    assert message.startswith("XX is not a country prefix")
    assert "DE123456789" in message


def test_a_number_without_letters_in_front_is_asked_for_its_country_prefix():
    with pytest.raises(ValidationError) as refused:
        validate_vat_number("136695976")
    assert refused.value.messages == [
        "Start with the two-letter country prefix, like DE123456789 for Germany."
    ]


def test_a_number_of_the_wrong_shape_shows_its_countrys_shape():
    with pytest.raises(ValidationError) as refused:
        validate_vat_number("NL004495445A01")
    assert refused.value.messages == [
        "This is not a valid NL VAT number: one looks like NL123456789B01."
    ]


def test_every_known_prefix_has_an_example_of_its_own_shape():
    # The examples show a shape, not a registered number: only their check digits may fail.
    assert VAT_NUMBER_EXAMPLES.keys() == VAT_NUMBER_FORMATS.keys()
    for example in VAT_NUMBER_EXAMPLES.values():
        try:
            validate_vat_number(example)
        except ValidationError as refused:
            assert refused.error_list[0].code == "vat_number_checksum", example


@pytest.mark.parametrize(
    "number", ["DE136695977", "FR40303265046", "GB980780685", "IE6388047W", "CHE116281711MWST"]
)
def test_a_number_of_the_right_shape_with_wrong_check_digits_is_refused(number):
    with pytest.raises(ValidationError) as refused:
        validate_vat_number(number)
    assert refused.value.error_list[0].code == "vat_number_checksum"
    assert (
        f"check digits of this {number[:2]} VAT number do not match" in (refused.value.messages[0])
    )


def test_spaces_dots_and_dashes_are_dropped_and_letters_upper_cased():
    assert vat_number_normalize(" de 136.695-976 ") == "DE136695976"
    assert vat_number_normalize("CHE-116.281.710 MWST") == "CHE116281710MWST"


def test_the_profile_page_saves_the_number_normalized_and_audits_it(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:profile"), {**PROFILE, "vat_number": "de 136 695 976"}
    )

    assert response.status_code == 302
    customer.customer.refresh_from_db()
    assert customer.customer.vat_number == "DE136695976"
    entry = AuditEntry.objects.get(action="customer.profile_updated")
    assert entry.changes["vat_number"] == ["", "DE136695976"]


def test_the_profile_page_offers_the_field_with_its_format(customer_client, customer):
    complete_profile(customer.customer, vat_number="DE136695976")

    page = customer_client.get(reverse("accounts:profile")).content.decode()

    assert 'name="vat_number"' in page
    assert 'value="DE136695976"' in page
    assert "With the country prefix" in page


def test_a_bad_number_on_the_profile_page_is_a_field_error_and_changes_nothing(
    customer_client, customer
):
    complete_profile(customer.customer, vat_number="DE136695976", city="Berlin")

    response = customer_client.post(
        reverse("accounts:profile"), {**PROFILE, "city": "Munich", "vat_number": "DE12"}
    )

    assert response.status_code == 200
    assert "DE VAT number" in response.context["form"].errors["vat_number"][0]
    customer.customer.refresh_from_db()
    assert (customer.customer.vat_number, customer.customer.city) == ("DE136695976", "Berlin")
    assert not AuditEntry.objects.filter(action="customer.profile_updated").exists()


def test_the_api_saves_and_returns_the_number_and_audits_it(customer_client, customer):
    response = customer_client.put(
        API, json.dumps({**PROFILE, "vat_number": "fr 40 303 265 045"}), "application/json"
    )

    assert response.status_code == 200
    assert response.json()["vat_number"] == "FR40303265045"
    assert customer_client.get(API).json()["vat_number"] == "FR40303265045"
    entry = AuditEntry.objects.get(action="customer.profile_updated")
    assert entry.changes["vat_number"] == ["", "FR40303265045"]


def test_a_bad_number_through_the_api_is_a_422_on_the_field_and_changes_nothing(
    customer_client, customer
):
    complete_profile(customer.customer, vat_number="DE136695976", city="Berlin")

    response = customer_client.put(
        API, json.dumps({**PROFILE, "city": "Munich", "vat_number": "US123"}), "application/json"
    )

    assert response.status_code == 422
    assert "vat_number" in json.dumps(response.json())
    customer.customer.refresh_from_db()
    assert (customer.customer.vat_number, customer.customer.city) == ("DE136695976", "Berlin")
    assert not AuditEntry.objects.filter(action="customer.profile_updated").exists()


def test_a_number_too_long_for_the_api_is_a_422_not_a_500(customer_client, customer):
    response = customer_client.put(
        API, json.dumps({**PROFILE, "vat_number": "DE" + "1" * 40}), "application/json"
    )

    assert response.status_code == 422


def test_removing_the_number_is_allowed_and_audited(customer_client, customer):
    complete_profile(customer.customer, vat_number="DE136695976")

    response = customer_client.put(
        API, json.dumps({**PROFILE, "vat_number": ""}), "application/json"
    )

    assert response.status_code == 200
    customer.customer.refresh_from_db()
    assert customer.customer.vat_number == ""
    entry = AuditEntry.objects.get(action="customer.profile_updated")
    assert entry.changes["vat_number"] == ["DE136695976", ""]
