"""Addresses are written as the destination's post office reads them, the same everywhere."""

import pytest

from onboarding.accounts.addresses import address_lines
from tests.factories import UserFactory, complete_profile


def _lines(country: str, **fields) -> list[str]:
    values = {"line1": "1 Main Street", "line2": "", "region": "", **fields}
    return address_lines(country=country, country_name=lambda code: f"<{code}>", **values)


@pytest.mark.parametrize(
    ("country", "city", "code", "town"),
    [
        ("GB", "Bristol", "BS1 4DJ", "Bristol BS1 4DJ"),
        ("IE", "Dublin", "D02 X285", "Dublin D02 X285"),
        ("AU", "Sydney", "2000", "Sydney 2000"),
        ("CA", "Ottawa", "K1A 0B1", "Ottawa K1A 0B1"),
        ("US", "Austin", "78701", "Austin 78701"),
        ("DE", "Berlin", "10115", "10115 Berlin"),
        ("FR", "Paris", "75001", "75001 Paris"),
        ("NL", "Amsterdam", "1012 AB", "1012 AB Amsterdam"),
    ],
)
def test_the_postal_code_sits_where_the_countrys_post_office_puts_it(country, city, code, town):
    assert _lines(country, city=city, postal_code=code) == ["1 Main Street", town, f"<{country}>"]


def test_a_us_address_with_a_state_reads_city_comma_state_zip():
    lines = _lines("US", city="Austin", postal_code="78701", region="TX")
    assert lines == ["1 Main Street", "Austin, TX 78701", "<US>"]


def test_a_canadian_or_australian_province_sits_between_town_and_code():
    assert _lines("CA", city="Ottawa", postal_code="K1A 0B1", region="ON")[1] == "Ottawa ON K1A 0B1"
    assert _lines("AU", city="Sydney", postal_code="2000", region="NSW")[1] == "Sydney NSW 2000"


def test_a_continental_region_keeps_a_line_of_its_own_after_the_town():
    lines = _lines("IT", city="Roma", postal_code="00118", region="Lazio")
    assert lines == ["1 Main Street", "00118 Roma", "Lazio", "<IT>"]


@pytest.mark.django_db
def test_the_customer_record_writes_a_uk_address_with_the_postcode_after_the_town():
    customer = complete_profile(UserFactory().customer)
    assert customer.billing_address_lines == ["1 High Street", "Bristol BS1 4DJ", "United Kingdom"]


@pytest.mark.django_db
def test_the_customer_record_writes_a_german_address_with_the_code_before_the_town():
    customer = complete_profile(UserFactory().customer, country="DE", city="Berlin")
    assert customer.billing_address_lines == ["1 High Street", "10115 Berlin", "Germany"]
