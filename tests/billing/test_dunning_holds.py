"""Dunning holds (issue 17, service-aware dunning): a red acceptance and an open high or critical
request hold a customer's dunning back from past due; a low or normal request, a yellow or green
acceptance do not; the holds end when the trouble does, and the backfill places what the apps
would have placed."""

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from onboarding.acceptance.models import Requirement
from onboarding.acceptance.requirements import requirement_add, requirement_rate
from onboarding.audit.models import AuditEntry
from onboarding.billing.dunning_holds import (
    customers_held,
    dunning_hold_lift,
    dunning_hold_place,
    dunning_holds_backfill,
)
from onboarding.billing.models import DunningHold
from onboarding.contracts.lifecycle import contract_cancel
from onboarding.contracts.models import ContractState
from onboarding.sysops.models import ServiceRequest
from onboarding.sysops.services import service_request_move
from tests.acceptance.conftest import active_contract
from tests.sysops.conftest import open_request, subscribe

pytestmark = pytest.mark.django_db


def holds(customer_id: int) -> list[tuple[str, str]]:
    return list(
        DunningHold.objects.active()
        .filter(customer_id=customer_id)
        .order_by("pk")
        .values_list("source", "reference")
    )


def rate(contract, sysops, rating: str, title: str = "Remote access") -> Requirement:
    return requirement_add(
        contract=contract, actor=sysops, title=title, criteria="It works", rating=rating
    )


# --- Acceptance --------------------------------------------------------------------------------


def test_a_red_acceptance_holds_dunning_and_is_audited(sysops):
    contract = active_contract()
    rate(contract, sysops, "red")

    assert holds(contract.customer_id) == [("acceptance", str(contract.pk))]
    hold = DunningHold.objects.get()
    assert hold.reason == "acceptance of contract CTR-2026-000101 is red"
    placed = AuditEntry.objects.get(action="dunning_hold.placed")
    assert (placed.customer_id, placed.actor_id) == (contract.customer_id, sysops.pk)


def test_a_second_red_rating_keeps_the_one_hold(sysops):
    contract = active_contract()
    rate(contract, sysops, "red")
    rate(contract, sysops, "red", title="Monitoring agent")
    assert DunningHold.objects.count() == 1
    assert AuditEntry.objects.filter(action="dunning_hold.placed").count() == 1


def test_yellow_and_green_hold_nothing(sysops):
    contract = active_contract()
    rate(contract, sysops, "yellow")
    rate(contract, sysops, "green", title="Monitoring agent")
    assert not DunningHold.objects.exists()


def test_leaving_red_lifts_the_hold_and_red_again_places_a_new_one(sysops):
    contract = active_contract()
    requirement = rate(contract, sysops, "red")

    requirement_rate(requirement=requirement, actor=sysops, rating="green", note="Fixed")
    hold = DunningHold.objects.get()
    assert hold.lifted_at is not None
    assert holds(contract.customer_id) == []
    lifted = AuditEntry.objects.get(action="dunning_hold.lifted")
    assert "acceptance is now green" in lifted.message

    requirement_rate(requirement=requirement, actor=sysops, rating="red", note="Broke again")
    assert holds(contract.customer_id) == [("acceptance", str(contract.pk))]
    assert DunningHold.objects.count() == 2  # the lifted one stays as history


def test_a_red_contract_that_ends_lifts_its_hold(sysops):
    contract = active_contract()
    rate(contract, sysops, "red")

    contract_cancel(contract=contract, actor=sysops, reason="Customer left")

    assert holds(contract.customer_id) == []
    lifted = AuditEntry.objects.get(action="dunning_hold.lifted")
    assert f"contract {contract.number} is cancelled" in lifted.message


# --- Requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("severity", ["high", "critical"])
def test_an_open_high_or_critical_request_holds_dunning(customer, plan, severity):
    request = open_request(subscribe(customer, plan), severity=severity)
    assert holds(customer.pk) == [("request", str(request.pk))]
    assert DunningHold.objects.get().reason == f"open {severity} request {request.reference}"


@pytest.mark.parametrize("severity", ["low", "normal"])
def test_a_low_or_normal_request_holds_nothing(customer, plan, severity):
    open_request(subscribe(customer, plan), severity=severity)
    assert not DunningHold.objects.exists()


def test_resolving_the_request_lifts_its_hold_and_reopening_places_it_again(customer, plan, sysops):
    request = open_request(subscribe(customer, plan), severity="critical")
    service_request_move(request=request, status="in_progress", actor=sysops)
    assert holds(customer.pk) == [("request", str(request.pk))]  # still open

    service_request_move(request=request, status="resolved", actor=sysops)
    assert holds(customer.pk) == []
    lifted = AuditEntry.objects.get(action="dunning_hold.lifted")
    assert lifted.actor_id == sysops.pk and "resolved" in lifted.message

    service_request_move(request=request, status="in_progress", actor=sysops, note="Not fixed")
    assert holds(customer.pk) == [("request", str(request.pk))]


def test_each_urgent_request_is_its_own_hold_and_the_customer_stays_held_until_the_last_ends(
    customer, plan, sysops
):
    subscription = subscribe(customer, plan)
    first = open_request(subscription, severity="high")
    second = open_request(subscription, severity="critical")
    service_request_move(request=first, status="closed", actor=sysops)
    assert customers_held(customer_ids=[customer.pk]) == {customer.pk}
    service_request_move(request=second, status="closed", actor=sysops)
    assert customers_held(customer_ids=[customer.pk]) == set()


# --- The services themselves -------------------------------------------------------------------


def test_place_and_lift_are_idempotent(customer):
    for _ in range(2):
        dunning_hold_place(customer_id=customer.pk, source="request", reference=7, reason="x")
    assert DunningHold.objects.count() == 1
    assert dunning_hold_lift(customer_id=customer.pk, source="request", reference=7, because="y")
    assert (
        dunning_hold_lift(customer_id=customer.pk, source="request", reference=7, because="y")
        is None
    )
    assert AuditEntry.objects.filter(action="dunning_hold.lifted").count() == 1


def test_the_database_refuses_two_holds_for_the_same_reason(customer):
    DunningHold.objects.create(customer=customer.customer, source="request", reference="7")
    with pytest.raises(IntegrityError), transaction.atomic():
        DunningHold.objects.create(customer=customer.customer, source="request", reference="7")


# --- Backfill (migration 0012) -----------------------------------------------------------------


def test_the_backfill_places_holds_for_red_acceptances_and_open_urgent_requests(
    customer, plan, sysops
):
    # Rows as they stood before holds existed: written without the services that place holds.
    red = active_contract(number="CTR-2026-000201")
    Requirement.objects.create(contract=red, title="A", criteria="A", rating="red")
    cancelled = active_contract(number="CTR-2026-000202", state=ContractState.CANCELLED)
    Requirement.objects.create(contract=cancelled, title="B", criteria="B", rating="red")
    yellow = active_contract(number="CTR-2026-000203")
    Requirement.objects.create(contract=yellow, title="C", criteria="C", rating="yellow")
    subscription = subscribe(customer, plan)
    urgent = open_request(subscription, severity="critical")
    open_request(subscription, severity="normal")
    resolved = open_request(subscription, severity="high")
    ServiceRequest.objects.filter(pk=resolved.pk).update(status="resolved")
    DunningHold.objects.all().delete()

    assert dunning_holds_backfill(apps) == 2

    placed = set(DunningHold.objects.values_list("customer_id", "source", "reference"))
    assert placed == {
        (red.customer_id, "acceptance", str(red.pk)),
        (customer.pk, "request", str(urgent.pk)),
    }  # not the cancelled contract's, the yellow one's, the normal or the resolved request's
    assert DunningHold.objects.get(customer_id=red.customer_id).reason == (
        "acceptance of contract CTR-2026-000201 is red"
    )
    assert dunning_holds_backfill(apps) == 0  # run again: nothing new
