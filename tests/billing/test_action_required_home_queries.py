"""The account home's "Action required" list reads each invoice's money country from the one
query that lists them (no query per invoice)."""

import pytest

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.billing.selectors import invoices_action_required
from tests.billing.conftest import buy, ready_customer, today

pytestmark = pytest.mark.django_db

EVERY_CHARGE = "4000002760003184"


@pytest.mark.parametrize("tax_country", ["DE", ""])
def test_the_list_needs_no_query_per_invoice(
    plan, customer, django_assert_num_queries, tax_country
):
    buy(ready_customer(customer, card=EVERY_CHARGE), plan)
    bill_run_execute(run_date=today())
    Invoice.objects.update(tax_country=tax_country)  # "": the customer's country today

    with django_assert_num_queries(1):
        waiting = invoices_action_required(customer=customer.customer)
        shown = [(invoice.number, invoice.money_country) for invoice in waiting]

    assert len(shown) == 1 and shown[0][1]
