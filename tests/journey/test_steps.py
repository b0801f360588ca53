"""Each onboarding step names where the customer does it (onboarding/journey/steps.py), and only
the first step not done is the next one."""

import pytest
from django.urls import reverse

from onboarding.journey.models import Step, StepState
from onboarding.journey.selectors import journey_of
from onboarding.journey.services import journey_step_complete, journey_step_fail
from onboarding.journey.steps import Progress, after_journey, journey_rows, step_action
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PENDING = StepState.PENDING


def test_every_step_has_an_action_for_a_new_customer():
    progress = Progress()
    actions = {step: step_action(step, PENDING, progress) for step in Step}
    assert actions[Step.ACCOUNT].url == reverse("accounts:profile")
    assert actions[Step.CARD_AND_CYCLE].url == reverse("payments:card")
    assert all(action.label for action in actions.values())


def test_with_a_card_the_card_and_cycle_step_is_choosing_a_plan():
    action = step_action(Step.CARD_AND_CYCLE, PENDING, Progress(has_card=True))
    assert (action.url, action.label) == (
        reverse("catalog:pricing"),
        "Choose a plan and billing cycle",
    )


def test_a_failed_card_step_asks_for_another_card_even_with_one_on_file():
    action = step_action(Step.CARD_AND_CYCLE, StepState.FAILED, Progress(has_card=True))
    assert (action.url, action.label) == (reverse("payments:card"), "Add another card")


def test_the_first_invoice_waits_on_us_and_says_so():
    action = step_action(Step.FIRST_INVOICE, PENDING, Progress(has_card=True))
    assert action.url == reverse("billing:invoices")
    assert "preparing your first invoice" in action.waiting_note


def test_the_payment_step_goes_to_the_invoice_to_pay():
    progress = Progress(invoice_to_pay=(7, "INV-2026-000007"))
    action = step_action(Step.FIRST_PAYMENT, StepState.FAILED, progress)
    assert action.url == reverse("billing:invoice", args=[7]) + "#pay"
    assert action.label == "Pay invoice INV-2026-000007"
    assert not action.waiting_note


def test_the_contract_step_asks_to_verify_the_email_address_first():
    progress = Progress(email_verified=False, contract=(3, "CTR-2026-0003"))
    action = step_action(Step.CONTRACT, StepState.FAILED, progress)
    assert action.url == reverse("account_email")
    assert action.label == "Verify your email address"


def test_the_contract_step_goes_to_the_newest_contract():
    action = step_action(Step.CONTRACT, PENDING, Progress(contract=(3, "CTR-2026-0003")))
    assert action.url == reverse("contracts:detail", args=[3])


def test_only_the_first_step_not_done_is_next():
    customer = UserFactory().customer
    journey_step_complete(customer=customer, step=Step.ACCOUNT)
    journey_step_fail(customer=customer, step=Step.CARD_AND_CYCLE, reason="declined")

    rows = journey_rows(journey=journey_of(customer=customer), progress=Progress())

    assert [row.is_next for row in rows] == [False, True, False, False, False]
    assert rows[0].action is None  # done
    assert all(row.action for row in rows[1:])
    assert after_journey(rows=rows, progress=Progress(contract_to_acknowledge=(1, "C-1"))) is None


def test_once_every_step_is_done_a_contract_to_acknowledge_is_what_is_left():
    customer = UserFactory().customer
    for step in Step:
        journey_step_complete(customer=customer, step=step)
    rows = journey_rows(journey=journey_of(customer=customer), progress=Progress())

    assert not any(row.is_next for row in rows)
    assert after_journey(rows=rows, progress=Progress()) is None
    action = after_journey(rows=rows, progress=Progress(contract_to_acknowledge=(4, "C-4")))
    assert action.url == reverse("contracts:detail", args=[4]) + "#acknowledge"
    assert action.label == "Acknowledge contract C-4"
