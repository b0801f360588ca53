"""Ids past what the database can store are simply not found: never a server error."""

import pytest
from django.urls import reverse

from onboarding.alerts.models import AdminAlert

pytestmark = pytest.mark.django_db
TOO_BIG = 2**63


def test_a_request_id_past_the_database_range_is_not_found_for_a_customer(customer_client):
    assert customer_client.get(f"/api/v1/me/requests/{TOO_BIG}").status_code == 404
    assert customer_client.get(reverse("requests:detail", args=[TOO_BIG])).status_code == 404


def test_a_request_id_past_the_database_range_is_not_found_for_staff(sysops_client):
    assert sysops_client.get(f"/api/v1/staff/requests/{TOO_BIG}").status_code == 404
    assert sysops_client.get(reverse("sysops:request_detail", args=[TOO_BIG])).status_code == 404


def test_a_customer_id_past_the_database_range_is_an_unknown_customer(sysops_client):
    assert sysops_client.get(reverse("sysops:customer", args=[TOO_BIG])).status_code == 404
    response = sysops_client.get(f"/api/v1/staff/customers/{TOO_BIG}/overview")
    assert response.json()["code"] == "customer_unknown"
    alert = AdminAlert.objects.get(reason="customer_unknown")
    assert (alert.object_id, alert.count) == (f"invalid:{TOO_BIG}", 2)


def test_a_search_with_a_nul_character_is_refused_not_a_server_error(sysops_client):
    response = sysops_client.get("/api/v1/staff/customers", {"q": "ab\x00cd"})
    assert response.status_code == 422
    page = sysops_client.get(reverse("sysops:customer_search"), {"q": "ab\x00cd"})
    assert page.status_code == 200
