"""The invoice lists flag a disputed invoice as its page does: the customer's list ("Payment
disputed" while open), the staff list and the customer view's invoices ("Disputed", then
"Dispute lost" for good if the bank won); from one annotated query, never a query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.core.money import Money
from onboarding.payments.disputes import payment_dispute_record
from tests.billing.conftest import buy, ready_customer, today
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def dispute(invoice: Invoice, status: str = "needs_response", dispute_id: str = "") -> None:
    """The customer's bank disputes the charge that paid `invoice` (Stripe's statuses)."""
    payment_dispute_record(
        attempt=invoice.paid_attempt,
        dispute_id=dispute_id or f"dp_{invoice.pk}",
        amount=Money(invoice.total_minor, invoice.currency),
        reason="fraudulent",
        status=status,
    )


@pytest.fixture
def paid(plan, customer) -> Invoice:
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.select_related("paid_attempt").get()


def row_of(page: str, invoice: Invoice) -> str:
    start = page.index(f'data-invoice="{invoice.pk}"')
    return page[start : page.index("</tr>", start)]


def test_the_customers_list_flags_an_open_dispute_and_not_a_won_one(customer_client, paid):
    url = reverse("billing:invoices")
    assert "data-disputed" not in customer_client.get(url).content.decode()
    dispute(paid)
    with CaptureQueriesContext(connection) as queries:
        page = customer_client.get(url).content.decode()
    assert '<span class="badge yellow" data-disputed>Payment disputed</span>' in row_of(page, paid)
    # Read with the invoices themselves: no query of the disputes table alone.
    assert not [q for q in queries if q["sql"].lstrip().startswith('SELECT "payments_paymentd')]
    dispute(paid, status="won")
    assert "data-disputed" not in customer_client.get(url).content.decode()


def test_the_staff_list_flags_open_then_lost_disputes(sysops_client, paid):
    url = reverse("billing:staff_invoices")
    dispute(paid)
    row = row_of(sysops_client.get(url).content.decode(), paid)
    assert '<span class="badge red" data-disputed>Disputed</span>' in row
    dispute(paid, status="lost")
    row = row_of(sysops_client.get(url).content.decode(), paid)
    assert '<span class="badge red" data-dispute-lost>Dispute lost</span>' in row
    assert "data-disputed" not in row


def test_the_customer_views_invoices_flag_a_lost_dispute(sysops_client, paid):
    dispute(paid, status="needs_response")
    dispute(paid, status="lost")
    page = sysops_client.get(reverse("sysops:customer", args=[paid.customer_id])).content
    invoices = page.decode().split('id="invoices"')[1].split("</details>")[0]
    assert '<span class="badge red" data-dispute-lost>Dispute lost</span>' in invoices


def test_the_staff_list_asks_as_many_queries_for_many_disputed_invoices_as_for_one(
    sysops_client, plan
):
    def list_queries() -> int:
        sysops_client.get(reverse("billing:staff_invoices"))  # warm: the menu's cached counts
        with CaptureQueriesContext(connection) as queries:
            page = sysops_client.get(reverse("billing:staff_invoices")).content.decode()
        assert page.count("data-disputed>") == Invoice.objects.count()
        return len(queries)

    buy(ready_customer(UserFactory()), plan)
    bill_run_execute(run_date=today())
    first = Invoice.objects.select_related("paid_attempt").get()
    dispute(first)
    one = list_queries()
    for _ in range(3):
        buy(ready_customer(UserFactory()), plan)
    bill_run_execute(run_date=today())
    for invoice in Invoice.objects.select_related("paid_attempt").exclude(pk=first.pk):
        dispute(invoice)
    assert list_queries() == one
