"""Cancelling sits behind "Manage contract": the contract page keeps it collapsed and away from
"Acknowledge", a confirmation page says what cancelling does, and a cancel without the
confirmation is refused and changes nothing."""

import re

import pytest
from django.urls import reverse

from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Subscription
from onboarding.contracts.lifecycle import contract_cancel
from onboarding.contracts.models import ContractState

pytestmark = pytest.mark.django_db


def test_a_new_contract_page_offers_acknowledge_and_keeps_cancelling_collapsed(
    buyer_client, delivered
):
    html = buyer_client.get(reverse("contracts:detail", args=[delivered.pk])).content.decode()

    # The form answers at its own anchor, so an error opens the page where the form is.
    acknowledge = reverse("contracts:acknowledge", args=[delivered.pk])
    assert f'action="{acknowledge}#acknowledge"' in html
    assert reverse("contracts:cancel", args=[delivered.pk]) not in html  # no cancel form here
    assert 'class="danger"' not in html
    manage = re.search(r"<details[^>]*id=\"manage\"[^>]*>(.*?)</details>", html, re.S)
    assert manage and " open" not in manage.group(0).split(">")[0]
    assert "<summary>Manage contract</summary>" in manage.group(1)
    assert reverse("contracts:manage", args=[delivered.pk]) in manage.group(1)
    assert html.index('id="acknowledge"') < html.index('id="manage"')


def test_the_confirmation_page_says_when_service_ends_and_that_billing_stops(
    buyer_client, delivered
):
    subscription = Subscription.objects.get(pk=delivered.subscription_id)
    response = buyer_client.get(reverse("contracts:manage", args=[delivered.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    ends = f"{subscription.current_period_end:%-d %B %Y}"
    assert re.search(rf"data-service-ends>{ends}<", html)
    assert "Billing stops then: you are not charged again" in html
    assert "cannot be undone" in html
    assert 'name="cancel-confirm"' in html
    assert f"Cancel contract {delivered.number}" in html


def test_a_cancel_without_the_confirmation_is_refused_and_changes_nothing(buyer_client, delivered):
    response = buyer_client.post(
        reverse("contracts:cancel", args=[delivered.pk]), {"cancel-reason": "Moving on"}
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Your contract was not cancelled, and nothing has changed" in html
    assert "Tick the box to confirm the cancellation." in html
    delivered.refresh_from_db()
    assert delivered.state == ContractState.SENT
    assert delivered.cancelled_at is None
    assert not Subscription.objects.get(pk=delivered.subscription_id).cancel_at_period_end
    assert not AuditEntry.objects.filter(action="contract.cancelled").exists()


def test_a_confirmed_cancel_cancels_and_says_until_when(buyer_client, delivered):
    response = buyer_client.post(
        reverse("contracts:cancel", args=[delivered.pk]),
        {"cancel-confirm": "on", "cancel-reason": ""},
        follow=True,
    )

    delivered.refresh_from_db()
    assert delivered.state == ContractState.CANCELLED
    ends = f"{delivered.service_ends_at:%-d %B %Y}"
    html = response.content.decode()
    assert f"Your contract is cancelled. Support continues until {ends}" in html
    assert b"Manage contract" not in response.content  # nothing left to manage


def test_a_cancelled_contract_cannot_be_cancelled_again_from_its_manage_page(
    buyer_client, delivered, sysops
):
    contract_cancel(contract=delivered, actor=sysops)
    html = buyer_client.get(reverse("contracts:manage", args=[delivered.pk])).content.decode()

    assert "it cannot be cancelled" in html
    assert 'name="cancel-confirm"' not in html


def test_another_customers_manage_page_is_not_found(other_customer_client, delivered):
    response = other_customer_client.get(reverse("contracts:manage", args=[delivered.pk]))
    assert response.status_code == 404
