"""The customer's contract page states the first-response time its terms snapshot promises, in
the reader's language, and leaves the line out when the snapshot holds no whole number of hours
(an older or hand-made snapshot) rather than failing the page."""

import pytest
from django.urls import reverse

from onboarding.contracts.models import Contract

pytestmark = pytest.mark.django_db


def _page(client, contract: Contract, language: str = "en") -> str:
    response = client.get(
        reverse("contracts:detail", args=[contract.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize(
    ("hours", "line"),
    [(1, "First response within 1 hour."), (8, "First response within 8 hours.")],
)
def test_the_response_time_is_stated_with_its_plural(delivered, buyer_client, hours, line):
    Contract.objects.filter(pk=delivered.pk).update(
        service_terms={**delivered.service_terms, "response_time_hours": hours}
    )
    assert line in _page(buyer_client, Contract.objects.get(pk=delivered.pk))


@pytest.mark.parametrize("hours", [None, "", "soon", True, [4]])
def test_terms_without_whole_hours_leave_the_line_out(delivered, buyer_client, hours):
    terms = {**delivered.service_terms, "response_time_hours": hours}
    Contract.objects.filter(pk=delivered.pk).update(service_terms=terms)
    page = _page(buyer_client, Contract.objects.get(pk=delivered.pk))
    assert "First response within" not in page
    assert delivered.plan_name in page


def test_a_snapshot_without_the_key_leaves_the_line_out(delivered, buyer_client):
    Contract.objects.filter(pk=delivered.pk).update(service_terms={})
    assert "First response within" not in _page(buyer_client, delivered)
