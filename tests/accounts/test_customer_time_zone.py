"""The customer's time zone (docs/sla.md, *Whose time zone*): chosen on the profile page or in
the API, audited like the other profile fields, shown to staff on the customer view."""

import json

import pytest
from django.urls import reverse

from onboarding.accounts.models import Customer
from onboarding.audit.models import AuditEntry
from tests.factories import complete_profile

pytestmark = pytest.mark.django_db

PROFILE = {
    "company": "Acme Inc",
    "phone": "",
    "address_line1": "1 Broadway",
    "address_line2": "",
    "city": "New York",
    "postal_code": "10004",
    "region": "NY",
    "country": "US",
    "preferred_inbox": "email",
}
ADDRESS = {k: v for k, v in PROFILE.items() if k != "preferred_inbox"}


def test_the_profile_page_offers_the_countrys_zones_first(customer_client, customer):
    complete_profile(customer.customer, **ADDRESS)
    page = customer_client.get(reverse("accounts:profile")).content.decode()
    select = page[page.index('name="time_zone"') :]
    assert select.index("America/New_York (your country&#x27;s main zone)") < select.index(
        'value="America/New_York"'
    )
    assert select.index('value="America/Chicago"') < select.index('value="Africa/Abidjan"')


def test_choosing_a_zone_saves_and_audits_it(customer_client, customer):
    complete_profile(customer.customer, **ADDRESS)
    answer = customer_client.post(
        reverse("accounts:profile"), PROFILE | {"time_zone": "America/Chicago"}
    )
    assert answer.status_code == 302
    record = Customer.objects.get(pk=customer.pk)
    assert record.time_zone == record.effective_time_zone == "America/Chicago"
    entry = AuditEntry.objects.get(action="customer.profile_updated")
    assert entry.changes["time_zone"] == ["", "America/Chicago"]


def test_a_zone_that_is_not_one_is_a_field_error_and_changes_nothing(customer_client, customer):
    answer = customer_client.post(
        reverse("accounts:profile"), PROFILE | {"time_zone": "Mars/Olympus"}
    )
    assert answer.status_code == 200
    assert "Mars/Olympus" in answer.content.decode()
    assert answer.context["form"].errors["time_zone"]
    record = Customer.objects.get(pk=customer.pk)
    assert (record.time_zone, record.city) == ("", "")


def test_blank_means_the_countrys_main_zone(customer):
    record = complete_profile(customer.customer, country="US", city="New York")
    assert record.time_zone == "" and record.effective_time_zone == "America/New_York"


def test_the_api_sets_the_zone_and_leaves_it_when_left_out(customer_client, customer):
    url = "/api/v1/me/profile"
    body = ADDRESS
    answer = customer_client.put(
        url, json.dumps(body | {"time_zone": "America/Denver"}), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["effective_time_zone"] == "America/Denver"
    answer = customer_client.put(url, json.dumps(body), content_type="application/json")
    assert answer.json()["time_zone"] == "America/Denver"
    answer = customer_client.put(
        url, json.dumps(body | {"time_zone": "Nowhere/Land"}), content_type="application/json"
    )
    assert answer.status_code in (400, 422)
    assert Customer.objects.get(pk=customer.pk).time_zone == "America/Denver"


def test_staff_see_the_zone_on_the_customer_view(sysops_client, customer):
    record = complete_profile(customer.customer, country="US", city="New York")
    page = sysops_client.get(reverse("sysops:customer", args=[record.pk])).content.decode()
    assert "Time zone: America/New_York" in page and "main zone" in page
    Customer.objects.filter(pk=record.pk).update(time_zone="America/Chicago")
    page = sysops_client.get(reverse("sysops:customer", args=[record.pk])).content.decode()
    assert "Time zone: America/Chicago</p>" in page
