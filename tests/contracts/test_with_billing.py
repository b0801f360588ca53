"""End to end with the real billing: a purchase, the bill run charging the first invoice, the
relay delivering its invoice.first_paid to contracts, and the worker issuing, generating and
delivering the contract that payment brings."""

import pytest
from django.utils import timezone

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice, InvoiceStatus
from onboarding.contracts.models import Contract, ContractState
from onboarding.journey.models import JourneyStep, Step, StepState
from tests.billing.conftest import buy, deliver_events, ready_customer
from tests.worker.conftest import run_worker_in_process

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_paid_invoice_brings_the_contract(settings, media, plan):
    settings.CONTRACT_ISSUE_ON = "first_payment"
    customer = ready_customer(company="Difference Engines plc")
    subscription = buy(customer, plan)
    assert not Contract.objects.exists()  # bought, not yet paid

    bill_run_execute(run_date=timezone.now().date())
    assert Invoice.objects.get(subscription=subscription).status == InvoiceStatus.PAID
    deliver_events()
    run_worker_in_process()

    contract = Contract.objects.get(subscription=subscription)
    assert contract.state == ContractState.SENT
    assert contract.documents.count() == 1
    assert contract.term_start == subscription.billing_anchor
    step = JourneyStep.objects.get(customer=customer, step=Step.CONTRACT)
    assert step.state == StepState.DONE
    assert step.completed_at <= timezone.now()
