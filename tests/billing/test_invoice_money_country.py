"""An invoice's money on its page, in the invoice list and in its emails is written as its PDF
writes it: for the customer's country as frozen at issue, not their country today."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from tests.billing.conftest import bought, ready_customer

pytestmark = pytest.mark.django_db


def test_a_customer_who_moves_sees_the_invoice_written_as_it_was_issued(plan):
    customer = ready_customer(country="GB")
    anchor = timezone.now().replace(microsecond=0)
    bought(customer, plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.tax_country == "GB"
    Customer.objects.filter(pk=customer.pk).update(country="DE")
    client = Client()
    client.force_login(customer.user)

    page = client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    listing = client.get(reverse("billing:invoices")).content.decode()

    for html in (page, listing):
        assert "€118.80" in html  # as en_GB writes it, like the PDF
        assert "118,80" not in html  # not as de_DE would
