"""The billing address's postal code: checked against its country's format (a hand-written table
in accounts/validators.py) on the profile page, at sign-up's profile step and through the API,
stored upper case and trimmed; a country without a known format only has a length cap."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_countries import countries

from onboarding.accounts.validators import (
    POSTAL_CODE_FORMATS,
    POSTAL_CODE_MAX_LENGTH,
    postal_code_normalize,
    validate_postal_code,
)
from onboarding.audit.models import AuditEntry
from tests.factories import complete_profile

EU = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905

VALID = [
    ("AT", "1010"),
    ("BE", "1000"),
    ("BG", "1504"),
    ("CY", "1010"),
    ("CZ", "110 00"),
    ("CZ", "11000"),
    ("DE", "10115"),
    ("DK", "1050"),
    ("EE", "10111"),
    ("ES", "28001"),
    ("FI", "00100"),
    ("FR", "75001"),
    ("GR", "105 57"),
    ("HR", "10000"),
    ("HU", "1051"),
    ("IE", "D02 X285"),
    ("IE", "d6w1234"),
    ("IT", "00118"),
    ("LT", "LT-01100"),
    ("LT", "01100"),
    ("LU", "L-1111"),
    ("LV", "LV-1050"),
    ("MT", "VLT 1117"),
    ("NL", "1012 AB"),
    ("NL", "1012ab"),
    ("PL", "00-950"),
    ("PT", "1000-001"),
    ("RO", "010011"),
    ("SE", "114 55"),
    ("SI", "1000"),
    ("SK", "811 01"),
    ("GB", "SW1A 1AA"),
    ("GB", "m1 1ae"),
    ("GB", "BS1 4DJ"),
    ("CH", "8001"),
    ("NO", "0150"),
    ("US", "20500"),
    ("US", "20500-0003"),
    ("CA", "K1A 0B1"),
    ("AU", "2000"),
    ("JP", "100-0001"),  # no format in the table: any code within the cap
    ("AE", ""),  # no postal codes there
]

INVALID = [
    ("DE", "ABCDEFGHIJKL", "A German postal code has 5 digits, like 10115."),
    ("DE", "1011", "5 digits"),
    ("DE", "101155", "5 digits"),
    ("AT", "10100", "An Austrian postal code has 4 digits, like 1010."),
    ("FR", "750 01", "5 digits"),
    ("ES", "99001", "A Spanish postal code"),
    ("NL", "0123 AB", "4 digits and 2 letters, like 1012 AB."),
    ("PL", "00950-", "like 00-950"),
    ("PT", "1000", "7 digits"),
    ("IE", "D02", "Eircode"),
    ("MT", "1117", "3 letters and 4 digits"),
    ("GB", "10115", "A UK postcode"),
    ("GB", "SW1A", "A UK postcode"),
    ("CH", "CH-8001", "A Swiss postal code has 4 digits"),
    ("NO", "01500", "A Norwegian"),
    ("US", "2050", "A US ZIP code"),
    ("CA", "K1A 0B", "A Canadian postal code"),
    ("CA", "D1A 0B1", "A Canadian postal code"),  # D never starts one
    ("AU", "20000", "An Australian postcode"),
    # Arabic-Indic digits are digits to Python, not to a post office.
    ("DE", "".join(chr(0x660 + int(d)) for d in "10115"), "5 digits"),
    ("JP", "1" * (POSTAL_CODE_MAX_LENGTH + 1), "at most 12 characters"),
]


def test_every_eu_member_and_the_other_named_countries_have_a_format():
    assert set(EU) | {"GB", "CH", "NO", "US", "CA", "AU"} <= set(POSTAL_CODE_FORMATS)
    # Every example in an error message is one the format accepts.
    for country, (_, _, example) in POSTAL_CODE_FORMATS.items():
        validate_postal_code(example, country)
        assert country in dict(countries)  # a country the profile's choice list offers


@pytest.mark.parametrize(("country", "code"), VALID)
def test_a_code_in_its_countrys_format_is_accepted(country, code):
    validate_postal_code(code, country)


@pytest.mark.parametrize(("country", "code", "said"), INVALID)
def test_a_code_in_another_format_is_refused_naming_the_expected_one(country, code, said):
    with pytest.raises(ValidationError) as refused:
        validate_postal_code(code, country)
    assert said in refused.value.messages[0]


def test_codes_are_upper_cased_trimmed_and_keep_single_spaces():
    assert postal_code_normalize("  sw1a   1aa ") == "SW1A 1AA"
    assert postal_code_normalize("") == ""


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


@pytest.mark.django_db
def test_a_twelve_letter_german_code_on_the_profile_page_is_a_field_error(
    customer_client, customer
):
    complete_profile(customer.customer)  # a UK address on file
    response = customer_client.post(
        reverse("accounts:profile"), {**PROFILE, "postal_code": "ABCDEFGHIJKL"}
    )
    errors = response.context["form"].errors
    assert errors["postal_code"] == ["A German postal code has 5 digits, like 10115."]
    assert "A German postal code has 5 digits" in response.content.decode()
    customer.customer.refresh_from_db()
    assert (customer.customer.postal_code, customer.customer.country) == ("BS1 4DJ", "GB")
    assert not AuditEntry.objects.filter(action="customer.profile_updated").exists()


@pytest.mark.django_db
def test_the_profile_page_stores_the_code_normalised(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:profile"), {**PROFILE, "country": "GB", "postal_code": " sw1a  1aa "}
    )
    assert response.status_code == 302
    customer.customer.refresh_from_db()
    assert customer.customer.postal_code == "SW1A 1AA"


@pytest.mark.django_db
def test_a_bad_code_through_the_api_is_a_422_naming_the_field_and_changes_nothing(
    customer_client, customer
):
    complete_profile(customer.customer)
    response = customer_client.put(
        API, json.dumps({**PROFILE, "postal_code": "ABCDEFGHIJKL"}), "application/json"
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "postal_code"]
    assert error["msg"] == "A German postal code has 5 digits, like 10115."
    customer.customer.refresh_from_db()
    assert (customer.customer.postal_code, customer.customer.city) == ("BS1 4DJ", "Bristol")


@pytest.mark.django_db
def test_the_api_stores_a_good_code_normalised(customer_client, customer):
    response = customer_client.put(
        API, json.dumps({**PROFILE, "country": "NL", "postal_code": "1012ab"}), "application/json"
    )
    assert response.status_code == 200
    assert response.json()["postal_code"] == "1012AB"


@pytest.mark.django_db
@pytest.mark.parametrize("country", ["0²", "1²", "12", "D1", "é9"])
def test_a_country_that_is_not_two_letters_is_a_422_naming_the_field_and_changes_nothing(
    customer_client, customer, country
):
    """ "0²" counts as digits to Python but not to int(): django-countries failed on it (a 503)."""
    complete_profile(customer.customer)
    response = customer_client.put(
        API, json.dumps({**PROFILE, "country": country}), "application/json"
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == "country"
    customer.customer.refresh_from_db()
    assert customer.customer.city == "Bristol"
