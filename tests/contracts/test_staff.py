"""Staff pages and API: every contract, filtered by state and by expiry window; actions; the
template admin; the issue trigger."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.models import Subscription, SubscriptionStatus
from onboarding.contracts.issuing import contracts_issue_missing, issue_task_key
from onboarding.contracts.lifecycle import contract_cancel
from onboarding.contracts.models import Contract, ContractState, ContractTemplate
from onboarding.worker.models import TaskKey
from tests.contracts.conftest import deliver_inline, paying_customer, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_contracts(media, plan):
    soon = deliver_inline(subscribe(paying_customer(), plan))
    later = deliver_inline(subscribe(paying_customer(), plan))
    end = timezone.now() + timedelta(days=20)
    Contract.objects.filter(pk=soon.pk).update(term_end=end, term_start=end - timedelta(days=365))
    return Contract.objects.get(pk=soon.pk), later


def test_the_staff_list_filters_by_expiry_window(sysops_client, two_contracts):
    soon, later = two_contracts
    page = sysops_client.get(reverse("contracts_staff:list"), {"expires_within": "30"})
    html = page.content.decode()
    assert page.status_code == 200
    assert soon.number in html and later.number not in html


def test_the_staff_list_filters_by_state(sysops_client, two_contracts, sysops):
    soon, later = two_contracts
    contract_cancel(contract=later, actor=sysops)
    html = sysops_client.get(reverse("contracts_staff:list"), {"state": "cancelled"}).content
    assert later.number in html.decode() and soon.number not in html.decode()


def test_a_bad_filter_value_is_ignored_not_an_error(sysops_client, two_contracts):
    page = sysops_client.get(reverse("contracts_staff:list"), {"expires_within": "abc"})
    assert page.status_code == 200


def test_the_staff_api_filters_by_state_and_expiry(sysops_client, two_contracts):
    soon, later = two_contracts
    body = sysops_client.get("/api/v1/staff/contracts", {"expires_within_days": 30}).json()
    assert body["count"] == 1
    assert body["items"][0]["number"] == soon.number
    assert body["items"][0]["customer_id"] == soon.customer_id
    assert body["items"][0]["amount"] == {
        "amount_minor": soon.amount_minor,
        "currency": soon.currency,
        "display": soon.price.format(),
    }
    sent = sysops_client.get("/api/v1/staff/contracts", {"state": "sent"}).json()
    assert {item["number"] for item in sent["items"]} == {soon.number, later.number}


def test_staff_renew_through_the_api_returns_the_next_term(sysops_client, delivered):
    response = sysops_client.post(f"/api/v1/staff/contracts/{delivered.pk}/renew")
    assert response.status_code == 200
    body = response.json()
    assert body["term_index"] == 2 and body["state"] == "issued"
    delivered.refresh_from_db()
    assert delivered.state == ContractState.RENEWED


def test_an_illegal_staff_action_is_a_409(sysops_client, delivered, sysops):
    contract_cancel(contract=delivered, actor=sysops)
    response = sysops_client.post(
        f"/api/v1/staff/contracts/{delivered.pk}/amend",
        {"reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 409


def test_staff_amend_from_the_page_issues_a_new_version(sysops_client, delivered):
    response = sysops_client.post(
        reverse("contracts_staff:action", args=[delivered.pk, "amend"]), {"amend-reason": "New SLA"}
    )
    assert response.status_code == 302
    delivered.refresh_from_db()
    assert (delivered.state, delivered.document_version_wanted) == (ContractState.ISSUED, 2)


def test_the_staff_page_writes_the_term_as_dates_as_the_customer_page_does(
    sysops_client, buyer_client, delivered
):
    term = f"{delivered.term_start:%-d %B %Y} to {delivered.term_end:%-d %B %Y}"
    term += f" ({delivered.term_months} months)"
    staff = sysops_client.get(reverse("contracts_staff:detail", args=[delivered.pk]))
    mine = buyer_client.get(reverse("contracts:detail", args=[delivered.pk]))
    assert term in staff.content.decode()
    assert term in mine.content.decode()


def test_an_admin_publishes_a_template_version_in_the_admin(admin_client_2fa):
    response = admin_client_2fa.post(
        reverse("admin:contracts_contracttemplate_add"),
        {"html": "<p>{{ contract.number }}</p>", "css": "p { color: #333; }", "note": "Plain"},
    )
    assert response.status_code == 302
    assert ContractTemplate.objects.filter(language="en").order_by("-version").first().version == 4


def test_the_admin_refuses_a_template_that_does_not_render(admin_client_2fa):
    response = admin_client_2fa.post(
        reverse("admin:contracts_contracttemplate_add"),
        {"html": "{% url 'nowhere' %}", "css": "", "note": ""},
    )
    assert response.status_code == 200
    assert "does not render" in response.content.decode()
    assert ContractTemplate.objects.filter(language="en").count() == 3


def test_on_purchase_the_sweep_queues_a_contract_for_a_new_subscription(settings, plan):
    settings.CONTRACT_ISSUE_ON = "purchase"
    subscription = subscribe(paying_customer(), plan, status=SubscriptionStatus.PENDING)
    assert contracts_issue_missing() == 1
    assert contracts_issue_missing() == 0  # already queued
    assert TaskKey.objects.filter(key=issue_task_key(subscription.pk)).exists()


def test_on_first_payment_the_sweep_waits_for_the_payment(settings, plan):
    settings.CONTRACT_ISSUE_ON = "first_payment"
    subscription = subscribe(paying_customer(), plan, status=SubscriptionStatus.PENDING)
    assert contracts_issue_missing() == 0
    Subscription.objects.filter(pk=subscription.pk).update(
        status=SubscriptionStatus.ACTIVE, first_paid_at=timezone.now()
    )
    assert contracts_issue_missing() == 1
