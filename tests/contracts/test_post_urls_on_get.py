"""A GET at a form's action URL (a reload or Back after a refused submit, a copied address) is
sent to the page the form is on, not answered with an empty 405."""

import pytest
from django.urls import reverse

from onboarding.contracts.models import Contract, ContractState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_get_at_acknowledge_is_sent_to_the_contracts_acknowledge_form(buyer_client, delivered):
    url = reverse("contracts:acknowledge", args=[delivered.pk])
    response = buyer_client.get(url)
    assert response.status_code == 303
    assert response["Location"] == reverse("contracts:detail", args=[delivered.pk]) + "#acknowledge"
    assert buyer_client.get(response["Location"]).status_code == 200
    assert Contract.objects.get(pk=delivered.pk).state == ContractState.SENT


def test_a_refused_acknowledgement_reloaded_as_a_get_lands_on_the_contract(buyer_client, delivered):
    url = reverse("contracts:acknowledge", args=[delivered.pk])
    refused = buyer_client.post(url, {"name": "", "document_sha256": "0" * 64})
    assert refused.status_code == 422
    again = buyer_client.get(url, follow=True)
    assert again.status_code == 200
    assert again.redirect_chain[-1][0].endswith("#acknowledge")


@pytest.mark.parametrize(
    ("name", "page"),
    [("contracts:email", "contracts:detail"), ("contracts:cancel", "contracts:manage")],
)
def test_a_get_at_the_contracts_other_actions_is_sent_to_their_page(
    buyer_client, delivered, name, page
):
    response = buyer_client.get(reverse(name, args=[delivered.pk]))
    assert response.status_code == 303
    assert response["Location"] == reverse(page, args=[delivered.pk])
    assert Contract.objects.get(pk=delivered.pk).state == ContractState.SENT


def test_other_methods_are_still_refused(buyer_client, delivered):
    response = buyer_client.put(reverse("contracts:acknowledge", args=[delivered.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_another_customers_contract_is_not_revealed_by_the_redirect(client, delivered):
    client.force_login(UserFactory())
    response = client.get(reverse("contracts:acknowledge", args=[delivered.pk]), follow=True)
    assert response.status_code == 404
