"""A dispute reaches the invoice and the customer view: Stripe's charge.dispute.* webhooks,
signed and replayed as Stripe sends them, flag the invoice its charge paid on the staff and the
customer's invoice pages and in the invoice API, and raise a red risk in the SysOps customer
view until the dispute closes; the view keeps every dispute in its history."""

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.payments.models import PaymentDispute
from onboarding.sysops.health import customer_health_many
from tests.billing.conftest import buy, deliver_events, ready_customer, today
from tests.payments.stripe_webhook_helpers import SECRET, post_event, stripe_event

pytestmark = pytest.mark.django_db

OPENED = "charge.dispute.created"
CLOSED = "charge.dispute.closed"


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def paid(plan, customer) -> Invoice:
    buy(ready_customer(customer), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.select_related("paid_attempt").get()
    assert invoice.status == "paid"
    return invoice


def stripe_says(client, invoice: Invoice, *names: str, **changes) -> None:
    """Stripe sends these dispute events, in this order, about the charge that paid `invoice`;
    the relay then processes them."""
    for name in names:
        event = stripe_event(
            name,
            payment_intent=invoice.paid_attempt.gateway_charge_id,
            amount=invoice.total_minor,
            **changes,
        )
        assert post_event(client, event).status_code == 200
    deliver_events()


def staff_page(client, invoice: Invoice) -> str:
    response = client.get(reverse("billing:staff_invoice", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def customer_page(client, invoice: Invoice) -> str:
    response = client.get(reverse("billing:invoice", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def customer_view(client, invoice: Invoice) -> str:
    response = client.get(reverse("sysops:customer", args=[invoice.customer_id]))
    assert response.status_code == 200
    return response.content.decode()


def overview_api(client, invoice: Invoice) -> dict:
    response = client.get(f"/api/v1/staff/customers/{invoice.customer_id}/overview")
    assert response.status_code == 200
    return response.json()


def day(moment) -> str:
    """A day as the pages write it (DATE_FORMAT, the business time zone)."""
    return date_filter(timezone.localtime(moment))


def test_an_invoice_never_disputed_shows_no_dispute(customer_client, sysops_client, paid):
    assert 'id="dispute"' not in customer_page(customer_client, paid)
    assert 'id="dispute"' not in staff_page(sysops_client, paid)
    assert customer_client.get(f"/api/v1/me/invoices/{paid.pk}").json()["dispute"] is None
    assert customer_client.get("/api/v1/me/invoices").json()[0]["dispute"] is None
    assert 'data-risk="payment_disputed"' not in customer_view(sysops_client, paid)


def test_an_opened_dispute_flags_the_invoice_on_the_staff_page(client, sysops_client, paid):
    stripe_says(client, paid, OPENED)
    dispute = PaymentDispute.objects.get()
    page = staff_page(sysops_client, paid)
    assert '<span class="badge red">Disputed</span>' in page
    assert 'data-dispute="open"' in page
    assert str(dispute.amount) in page and "fraudulent" in page and "dp_1Q9" in page
    assert "needs_response" in page


def test_an_opened_dispute_is_a_calm_line_on_the_customers_invoice_page(
    client, customer_client, paid
):
    stripe_says(client, paid, OPENED)
    dispute = PaymentDispute.objects.get()
    page = customer_page(customer_client, paid)
    assert 'data-dispute="open"' in page
    assert f"Your bank opened a dispute about this payment on {day(dispute.opened_at)}." in page
    assert "we will be in touch" in page
    assert "fraudulent" not in page  # the bank's reason is for staff, not shown back


def test_an_opened_dispute_is_in_the_invoice_api_for_the_customer_and_staff(
    client, customer_client, sysops_client, paid
):
    stripe_says(client, paid, OPENED)
    mine = customer_client.get(f"/api/v1/me/invoices/{paid.pk}").json()["dispute"]
    assert mine["outcome"] == "open" and mine["status"] == "needs_response"
    assert mine["amount"]["amount_minor"] == paid.total_minor
    assert mine["reason"] == "fraudulent" and mine["closed_at"] is None
    assert customer_client.get("/api/v1/me/invoices").json()[0]["dispute"] == mine
    staff = sysops_client.get(f"/api/v1/staff/invoices/{paid.pk}").json()["dispute"]
    assert staff == mine
    listed = sysops_client.get("/api/v1/staff/invoices").json()
    assert [row["dispute"]["outcome"] for row in listed if row["id"] == paid.pk] == ["open"]


def test_an_opened_dispute_is_a_red_risk_in_the_customer_view(client, sysops_client, paid):
    stripe_says(client, paid, OPENED)
    dispute = PaymentDispute.objects.get()
    page = customer_view(sysops_client, paid)
    assert 'class="risk red" href="#disputes" data-risk="payment_disputed"' in page
    assert f"Payment disputed: {dispute.amount} on {paid.number} (fraudulent)" in strip_tags(page)
    assert '<details id="disputes" class="history" open>' in page
    assert '<tr data-dispute="open">' in page
    body = overview_api(sysops_client, paid)
    [risk] = [r for r in body["risks"] if r["code"] == "payment_disputed"]
    assert risk["level"] == "red" and paid.number in risk["message"]
    [row] = body["disputes"]
    assert (row["outcome"], row["invoice_reference"], row["gateway_dispute_id"]) == (
        "open",
        paid.number,
        "dp_1Q9",
    )


def test_an_opened_dispute_flags_the_customer_in_the_search_results_too(client, paid):
    stripe_says(client, paid, OPENED)
    health = customer_health_many(customer_ids=[paid.customer_id])[paid.customer_id]
    assert health.red
    assert [r.label for r in health.risks if r.code == "payment_disputed"] == ["Payment disputed"]


def test_a_dispute_won_clears_the_risk_and_every_page_says_it_is_closed_won(
    client, customer_client, sysops_client, paid
):
    stripe_says(client, paid, OPENED, CLOSED)
    dispute = PaymentDispute.objects.get()
    assert dispute.outcome == "won"
    view = customer_view(sysops_client, paid)
    assert 'data-risk="payment_disputed"' not in view
    assert '<tr data-dispute="won">' in view
    assert '<details id="disputes" class="history">' in view  # history kept, closed
    assert overview_api(sysops_client, paid)["disputes"][0]["outcome"] == "won"
    staff = staff_page(sysops_client, paid)
    assert 'data-dispute="won"' in staff and '<span class="badge green">Won</span>' in staff
    assert '<span class="badge red">Disputed</span>' not in staff
    mine = customer_page(customer_client, paid)
    assert 'data-dispute="won"' in mine
    assert f"was closed on {day(dispute.closed_at)}: the payment stands" in mine
    assert "Payment disputed" not in mine
    api = customer_client.get(f"/api/v1/me/invoices/{paid.pk}").json()["dispute"]
    assert api["outcome"] == "won" and api["closed_at"] is not None
    health = customer_health_many(customer_ids=[paid.customer_id])[paid.customer_id]
    assert "payment_disputed" not in [r.code for r in health.risks]


def test_a_dispute_lost_tells_the_customer_their_bank_returned_the_money(
    client, customer_client, sysops_client, paid
):
    stripe_says(client, paid, OPENED)
    stripe_says(client, paid, CLOSED, status="lost")
    assert PaymentDispute.objects.get().outcome == "lost"
    mine = customer_page(customer_client, paid)
    assert 'data-dispute="lost"' in mine and "your bank returned" in mine
    assert '<span class="badge red">Lost</span>' in staff_page(sysops_client, paid)
    assert 'data-risk="payment_disputed"' not in customer_view(sysops_client, paid)


def test_a_close_delivered_before_its_opening_never_shows_the_dispute_open(
    client, customer_client, sysops_client, paid
):
    stripe_says(client, paid, CLOSED, OPENED)
    assert 'data-dispute="won"' in customer_page(customer_client, paid)
    assert 'data-risk="payment_disputed"' not in customer_view(sysops_client, paid)


def test_a_lost_dispute_stays_a_red_mark_on_the_customer_in_the_view_api_and_search(
    client, sysops_client, paid
):
    stripe_says(client, paid, OPENED)
    stripe_says(client, paid, CLOSED, status="lost")
    dispute = PaymentDispute.objects.get()
    page = customer_view(sysops_client, paid)
    assert 'class="risk red" href="#disputes" data-risk="payment_dispute_lost"' in page
    assert f"Dispute lost: the bank took back {dispute.amount} paid on {paid.number}" in strip_tags(
        page
    )
    assert '<details id="disputes" class="history" open>' in page
    assert '<span class="badge red" data-disputes-lost>1 lost</span>' in page
    [risk] = [r for r in overview_api(sysops_client, paid)["risks"] if r["level"] == "red"]
    assert risk["code"] == "payment_dispute_lost" and paid.number in risk["message"]
    health = customer_health_many(customer_ids=[paid.customer_id])[paid.customer_id]
    assert health.red
    assert [r.label for r in health.risks if r.is_red] == ["Dispute lost"]
    assert "data-dispute-lost>Dispute lost</span>" in staff_page(sysops_client, paid)


def test_a_won_dispute_leaves_no_mark_on_the_customer_or_the_invoice(client, sysops_client, paid):
    stripe_says(client, paid, OPENED, CLOSED)  # the recorded close is won
    assert 'data-risk="payment_dispute_lost"' not in customer_view(sysops_client, paid)
    assert "data-disputes-lost" not in customer_view(sysops_client, paid)
    health = customer_health_many(customer_ids=[paid.customer_id])[paid.customer_id]
    assert not [r for r in health.risks if r.code.startswith("payment_dispute")]
    assert "data-dispute-lost" not in staff_page(sysops_client, paid)
