"""Admins keep the rates table current in the admin; every edit is audited, and a new rate from
a later day leaves the days before it on the old rate."""

from datetime import date

import pytest

from onboarding.audit.models import AuditEntry
from onboarding.tax.models import TaxRate
from onboarding.tax.selectors import tax_for

RATES = "/admin/tax/taxrate/"
pytestmark = pytest.mark.django_db


def test_the_seeded_table_holds_every_member_state_and_the_uk():
    countries = set(TaxRate.objects.values_list("country", flat=True))
    assert len(countries) == 28 and {"DE", "FR", "IE", "GB", "GR"} <= countries


def test_an_admin_adds_a_rate_from_a_day_on_and_it_is_audited(admin_client_2fa):
    posted = admin_client_2fa.post(
        f"{RATES}add/",
        {"country": "DE", "rate_bp": "2100", "valid_from": "2027-07-01", "name": "VAT", "note": ""},
    )

    assert posted.status_code == 302
    assert tax_for(country="DE", on=date(2027, 6, 30)).rate_bp == 1900
    assert tax_for(country="DE", on=date(2027, 7, 1)).rate_bp == 2100
    entry = AuditEntry.objects.get(action="tax.rate_created")
    assert entry.message == "DE 21% from 2027-07-01"
    assert entry.actor_email


def test_a_second_rate_on_the_same_day_or_above_100_percent_is_refused(admin_client_2fa):
    same_day = admin_client_2fa.post(
        f"{RATES}add/",
        {"country": "FR", "rate_bp": "2100", "valid_from": "2014-01-01", "name": "VAT"},
    )
    too_high = admin_client_2fa.post(
        f"{RATES}add/",
        {"country": "US", "rate_bp": "10001", "valid_from": "2027-01-01", "name": "Sales tax"},
    )

    assert same_day.status_code == too_high.status_code == 200
    assert "already exists" in same_day.content.decode()
    assert "at most 10000 basis points" in too_high.content.decode()
    assert not AuditEntry.objects.filter(action="tax.rate_created").exists()
    assert not TaxRate.objects.filter(country="US").exists()


def test_deleting_a_rate_is_audited(admin_client_2fa):
    rate = TaxRate.objects.get(country="LU", valid_from=date(2023, 1, 1))

    posted = admin_client_2fa.post(f"{RATES}{rate.pk}/delete/", {"post": "yes"})

    assert posted.status_code == 302
    assert AuditEntry.objects.get(action="tax.rate_deleted").message == "LU 16% from 2023-01-01"
    assert tax_for(country="LU", on=date(2023, 6, 1)).rate_bp == 1700
