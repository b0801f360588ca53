"""Further along: once the five onboarding steps are done, the account page's one next step is
acknowledging the delivered contract, and nothing once it is acknowledged."""

import pytest
from django.urls import reverse

from onboarding.contracts.acknowledgement import contract_acknowledge
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def onboarded(delivered):
    for step in Step:
        journey_step_complete(customer=delivered.customer, step=step)
    return delivered


def test_a_delivered_contract_waiting_for_acknowledgement_is_the_next_step(buyer_client, onboarded):
    html = buyer_client.get(reverse("accounts:home")).content.decode()

    href = reverse("contracts:detail", args=[onboarded.pk]) + "#acknowledge"
    assert f'<a class="button" href="{href}">Acknowledge contract {onboarded.number}</a>' in html
    assert "Your onboarding is complete" in html
    assert "<h1>Analytical Engines Ltd</h1>" in html


def test_an_acknowledged_contract_leaves_no_next_step(buyer_client, onboarded):
    document = onboarded.documents.get()
    contract_acknowledge(
        contract=onboarded,
        actor=onboarded.customer.user,
        typed_name="Ada Lovelace",
        document_sha256=document.sha256,
        client_ip="127.0.0.1",
        user_agent="test",
    )
    html = buyer_client.get(reverse("accounts:home")).content.decode()

    assert "data-next-step" not in html
    assert html.count('class="badge done"') == len(Step)
