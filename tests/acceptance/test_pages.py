"""The acceptance pages and API: SysOps capture and rate, managers act, refusals are clear."""

import pytest
from django.test import Client

from onboarding.acceptance.models import Requirement, Review, ReviewState
from onboarding.audit.models import AuditEntry
from onboarding.contracts.models import ContractState


@pytest.fixture
def sysops_web(sysops):
    client = Client()
    client.force_login(sysops)
    return client


@pytest.fixture
def manager_web(manager):
    client = Client()
    client.force_login(manager)
    return client


def add_page(client, contract, **data):
    form = {"title": "Remote access", "criteria": "VPN reaches the server", "rating": "red"}
    return client.post(f"/staff/acceptance/contracts/{contract.pk}/requirements/", form | data)


def test_sysops_capture_a_requirement_on_the_page(sysops_web, contract, manager):
    response = add_page(sysops_web, contract)
    assert response.status_code == 302
    page = sysops_web.get(response["Location"])
    assert b"Remote access" in page.content
    assert b'data-status="red"' in page.content
    assert b"The managers were notified" in page.content


def test_a_bad_requirement_shows_the_field_error_and_saves_nothing(sysops_web, contract):
    response = add_page(sysops_web, contract, title="", rating="purple")
    assert response.status_code == 422
    assert b"This field is required." in response.content
    assert b"Select a valid choice" in response.content
    assert not Requirement.objects.exists()


def test_the_manager_page_shows_state_requirements_and_the_customer(
    sysops_web, manager_web, contract, manager
):
    add_page(sysops_web, contract)
    page = manager_web.get(f"/staff/acceptance/contracts/{contract.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    for expected in (
        "Next action",
        "Accept with conditions",
        "Request remediation",
        "Escalate",
        "Cancel the contract",
        "Remote access",
        "Address and contacts",
        "Payment",
    ):
        assert expected in text, expected


def test_sysops_see_no_manager_actions_and_cannot_post_them(sysops_web, contract, manager):
    add_page(sysops_web, contract)
    review = Review.objects.get()
    page = sysops_web.get(f"/staff/acceptance/contracts/{contract.pk}/")
    assert b"A manager decides the next action" in page.content
    refused = sysops_web.post(
        f"/staff/acceptance/reviews/{review.pk}/escalate/", {"note": "please"}
    )
    assert refused.status_code == 403
    assert Review.objects.get().state == ReviewState.OPEN


def test_manager_cancels_the_contract_from_the_page(sysops_web, manager_web, contract, manager):
    add_page(sysops_web, contract)
    review = Review.objects.get()
    missing_confirm = manager_web.post(
        f"/staff/acceptance/reviews/{review.pk}/cancel-contract/", {"reason": "no access"}
    )
    assert missing_confirm.status_code == 422
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE
    done = manager_web.post(
        f"/staff/acceptance/reviews/{review.pk}/cancel-contract/",
        {"reason": "no access", "confirm": "on"},
    )
    assert done.status_code == 302
    contract.refresh_from_db()
    assert contract.state == ContractState.CANCELLED


def test_customers_get_404_on_acceptance_pages(customer_client, contract):
    assert customer_client.get("/staff/acceptance/").status_code == 404
    assert customer_client.get(f"/staff/acceptance/contracts/{contract.pk}/").status_code == 404


def test_the_customer_view_flags_a_red_acceptance(sysops_web, contract, manager):
    add_page(sysops_web, contract)
    page = sysops_web.get(f"/staff/customers/{contract.customer_id}/")
    assert b'data-risk="acceptance_red"' in page.content


# --- API -----------------------------------------------------------------------------------------


def test_api_capture_rate_and_act(sysops_web, manager_web, contract, manager, sysops):
    base = "/api/v1/staff/acceptance"
    created = sysops_web.post(
        f"{base}/contracts/{contract.pk}/requirements",
        {"title": "Agent", "criteria": "installed", "rating": "yellow", "owner_id": sysops.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    requirement_id = created.json()["id"]
    rated = sysops_web.post(
        f"{base}/requirements/{requirement_id}/rating",
        {"rating": "red", "note": "agent gone"},
        content_type="application/json",
    )
    assert rated.json()["rating"] == "red"
    view = sysops_web.get(f"{base}/contracts/{contract.pk}").json()
    assert view["status"] == "red" and view["review"]["state"] == "open"
    review_id = view["review"]["id"]

    refused = sysops_web.post(
        f"{base}/reviews/{review_id}/actions",
        {"action": "escalate", "note": "help"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"

    acted = manager_web.post(
        f"{base}/reviews/{review_id}/actions",
        {"action": "accept_with_conditions", "note": "agent by Friday"},
        content_type="application/json",
    )
    assert acted.status_code == 200, acted.content
    assert acted.json()["state"] == "accepted_with_conditions"
    console = manager_web.get(f"{base}?show=all").json()
    assert console[0]["contract_id"] == contract.pk and console[0]["status"] == "red"


def test_api_field_errors(sysops_web, contract):
    base = "/api/v1/staff/acceptance"
    response = sysops_web.post(
        f"{base}/contracts/{contract.pk}/requirements",
        {"title": "", "criteria": "x", "rating": "blue"},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {tuple(error["loc"])[-1] for error in response.json()["detail"]}
    assert {"title", "rating"} <= fields
    unknown_owner = sysops_web.post(
        f"{base}/contracts/{contract.pk}/requirements",
        {"title": "A", "criteria": "x", "rating": "red", "owner_id": 999999},
        content_type="application/json",
    )
    assert unknown_owner.status_code == 409 and unknown_owner.json()["field"] == "owner_id"
    assert not Requirement.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="acceptance.").exists()
