"""The full customer view: what it shows, risky facts first, in a fixed number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import InvoiceStatus, PaymentState
from onboarding.billing.plan_changes import subscription_change_plan
from onboarding.contracts.models import Contract, ContractState
from onboarding.payments.models import PaymentAttempt, PaymentStatus
from onboarding.sysops.overview import customer_overview
from onboarding.sysops.risks import customer_acceptance_flags
from onboarding.sysops.services import customer_resolve
from tests.billing.conftest import bought, ready_customer
from tests.factories import plan_with_prices
from tests.sysops.conftest import (
    add_history,
    make_contract,
    make_dispute,
    make_invoice,
    make_payment,
    open_request,
    rich_customer,
    subscribe,
    today,
)

pytestmark = pytest.mark.django_db

# Card, subscriptions (with the next period's price in the same query), requests, payments,
# disputes (with their charges), invoices, plan changes, contracts, journey, open alerts,
# contacts, notifications (+ their deliveries), audit timeline, the contracts' acceptance
# (ratings counted + their live reviews), and the tax rates (the next charges are taxed by the
# customer's country), and the dunning holds (billing.dunning_holds), and the health score (its
# history is one more query once the customer is scored: tests/health/test_health_pages.py), and
# the shown requests' SLA clocks (one query for all of them).
# That is a cold view (the selector itself); the page and the API read the overview through
# sysops/overview_cache.py, whose warm view is the stamp and the cache read
# (WARM_QUERIES_* in tests/sysops/test_overview_cache.py).
OVERVIEW_QUERIES = 20


def _overview(subscription):
    customer = customer_resolve(customer_id=subscription.customer_id, source="test")
    return customer_overview(customer=customer)


def _queries_for_view(subscription) -> int:
    customer = customer_resolve(customer_id=subscription.customer_id, source="test")
    with CaptureQueriesContext(connection) as queries:
        overview = customer_overview(customer=customer)
        render_to_string("sysops/customer_overview.html", {"o": overview})
    return len(queries)


def test_the_overview_and_its_page_take_the_same_queries_for_1_and_50_items_of_history(
    customer, other_customer, plan
):
    short = subscribe(customer, plan)
    add_history(short, 1)
    long = subscribe(other_customer, plan)
    add_history(long, 50)
    for subscription in (short, long):
        # Every payment disputed, every other dispute closed: both kinds render with their charge.
        payments = PaymentAttempt.objects.filter(customer=subscription.customer).order_by("pk")
        for n, payment in enumerate(payments):
            closed = {"status": "won", "closed_at": timezone.now()} if n % 2 else {}
            make_dispute(payment, **closed)
    assert len(_overview(long).requests) == 50
    assert len(_overview(long).invoices) == 50
    assert len(_overview(long).disputes) == 50

    assert _queries_for_view(short) == _queries_for_view(long) == OVERVIEW_QUERIES


def test_the_overview_selector_runs_a_known_number_of_queries(
    subscription, django_assert_num_queries
):
    add_history(subscription, 3)
    customer = customer_resolve(customer_id=subscription.customer_id, source="test")
    with django_assert_num_queries(OVERVIEW_QUERIES):
        customer_overview(customer=customer)


def test_the_page_answers_in_the_same_number_of_queries_for_1_and_50_items(
    sysops_client, customer, other_customer, plan
):
    short, long = subscribe(customer, plan), subscribe(other_customer, plan)
    add_history(short, 1)
    add_history(long, 50)
    # The staff navigation's counts are cached for a few seconds: fill the cache first, on
    # another page (the overview itself is cached too: both views must be cold ones).
    sysops_client.get(reverse("sysops:customer_search"))
    counts = []
    for subscription in (short, long):
        url = reverse("sysops:customer", args=[subscription.customer_id])
        with CaptureQueriesContext(connection) as queries:
            assert sysops_client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_api_answers_in_the_same_number_of_queries_for_1_and_50_items(
    sysops_client, customer, other_customer, plan
):
    short, long = subscribe(customer, plan), subscribe(other_customer, plan)
    add_history(short, 1)
    add_history(long, 50)
    # The staff idle clock is written on a session's first request (and then only when it has
    # moved): warm the session so both measures count the overview alone.
    assert sysops_client.get("/api/v1/staff/customers?q=x").status_code == 200
    counts = []
    for subscription in (short, long):
        url = f"/api/v1/staff/customers/{subscription.customer_id}/overview"
        with CaptureQueriesContext(connection) as queries:
            assert sysops_client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_overview_shows_address_contact_card_and_schedule(subscription):
    overview = _overview(subscription)
    assert overview.customer.billing_address_lines[0] == "1 High Street"
    assert overview.card.last4 == "4242"
    assert overview.card.brand == "visa"
    (line,) = overview.schedule
    assert (line.cycle, line.next_cycle) == ("monthly", "monthly")
    assert line.next_charge_at == subscription.next_invoice_at
    assert (line.net.amount_minor, line.tax.amount_minor, line.gross.amount_minor) == (
        9900,
        1980,
        11880,
    )


def test_a_pending_cycle_change_shows_the_next_periods_price(subscription):
    subscription.pending_cycle = "annual"
    subscription.save(update_fields=["pending_cycle"])
    (line,) = _overview(subscription).schedule
    assert line.next_cycle == "annual"
    assert line.gross.amount_minor == 118800


def test_a_scheduled_plan_and_seat_change_shows_the_next_periods_price_in_the_currency(
    customer,
):
    # Sold in EUR and GBP: the next period is priced in the customer's currency, per seat.
    plan = plan_with_prices(also_in={"GBP": (8500, 24000, 85000)})
    essential = plan_with_prices(
        "essential-care", monthly=4900, also_in={"GBP": (4200, None, None)}
    )
    subscription = subscribe(customer, plan)
    subscription.customer.currency = "GBP"
    subscription.customer.save(update_fields=["currency"])
    subscription.currency, subscription.amount_minor, subscription.quantity = "GBP", 8500, 2
    subscription.pending_plan, subscription.pending_quantity = essential, 3
    subscription.save()

    (line,) = _overview(subscription).schedule
    assert line.terms == "2 seats"
    assert line.scheduled == "Essential Care, 3 seats"
    assert (line.net.currency, line.net.amount_minor, line.gross.amount_minor) == (
        "GBP",
        3 * 4200,
        3 * 4200 * 12 // 10,
    )


def test_products_carry_their_age_and_how_long_the_customer_has_had_them(subscription):
    subscription.purchased_at = timezone.now() - timedelta(days=40)
    subscription.save(update_fields=["purchased_at"])
    (product,) = _overview(subscription).products
    assert product.name == "Helpdesk Suite"
    assert product.age_days == (today() - date(2020, 1, 15)).days  # released_on, factories.py
    assert product.owned_days == 40


def test_contracts_carry_their_age_and_expiry(subscription):
    make_contract(subscription, 0, issued_at=timezone.now() - timedelta(days=33))
    (contract,) = _overview(subscription).contracts
    assert contract.age_days == 33
    assert contract.days_left == (contract.ends_on - today()).days
    assert not contract.expiring_soon


def test_a_contract_ending_within_sixty_days_is_a_yellow_risk(subscription):
    make_contract(subscription, 0, term_end=timezone.now() + timedelta(days=20))
    overview = _overview(subscription)
    assert overview.contracts[0].expiring_soon
    assert [(r.code, r.level) for r in overview.risks] == [("contract_expiring", "yellow")]


def test_a_healthy_customer_has_no_risks(subscription):
    add_history(subscription, 2)
    assert _overview(subscription).risks == []


def test_a_failed_payment_is_a_red_risk_on_top(subscription):
    make_payment(subscription, 0, status=PaymentStatus.DECLINED, message="Your card was declined.")
    make_contract(subscription, 0, term_end=timezone.now() + timedelta(days=20))
    risks = _overview(subscription).risks
    assert risks[0].code == "payment_failed"
    assert risks[0].level == "red"
    assert "declined" in risks[0].message


def test_a_later_successful_payment_clears_the_failed_one(subscription):
    make_payment(subscription, 1, status=PaymentStatus.DECLINED)
    make_payment(subscription, 0, status=PaymentStatus.SUCCEEDED)
    assert [r.code for r in _overview(subscription).risks] == []


def test_an_overdue_invoice_is_a_red_risk(subscription):
    make_invoice(
        subscription,
        0,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.DECLINED,
        due_date=today() - timedelta(days=2),
    )
    risk = _overview(subscription).risks[0]
    assert (risk.code, risk.level) == ("invoice_overdue", "red")


def test_a_card_expiring_this_month_is_a_warning(customer, plan):
    now = timezone.now()
    subscription = subscribe(customer, plan, exp_month=now.month, exp_year=now.year)
    overview = _overview(subscription)
    assert overview.card.expires_soon
    assert [(r.code, r.level) for r in overview.risks] == [("card_expiring", "yellow")]


def test_an_open_critical_request_is_a_red_risk(subscription):
    open_request(subscription, severity="critical", summary="Server room flooded")
    risk = _overview(subscription).risks[0]
    assert (risk.code, risk.level) == ("request_critical", "red")
    assert "Server room flooded" in risk.message


def test_the_acceptance_hook_returns_nothing_until_issue_7(subscription):
    customer = customer_resolve(customer_id=subscription.customer_id, source="test")
    assert customer_acceptance_flags(customer=customer, contracts=[]) == []


def test_requests_invoices_payments_notifications_audit_and_journey_are_all_there(subscription):
    add_history(subscription, 2)
    overview = _overview(subscription)
    assert [r.summary for r in overview.requests] == ["Problem number 1", "Problem number 0"]
    assert len(overview.invoices) == len(overview.payments) == len(overview.contracts) == 2
    kinds = {n.kind for n in overview.notifications}
    assert {"purchase_confirmed", "service_request.opened"} <= kinds
    actions = {entry.action for entry in overview.audit}
    assert {"subscription.purchased", "service_request.opened"} <= actions
    assert [step.step for step in overview.journey][:2] == ["account", "card_and_cycle"]


def test_the_page_puts_the_risks_before_the_details(sysops_client, subscription):
    make_payment(subscription, 0, status=PaymentStatus.FAILED, message="Processing error")
    page = sysops_client.get(reverse("sysops:customer", args=[subscription.customer_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index('data-risk="payment_failed"') < html.index('id="h-contact"')
    assert "Visa •••• 4242" in html


def test_the_api_returns_every_section_in_one_call(sysops_client, subscription):
    add_history(subscription, 1)
    make_contract(subscription, 5, state=ContractState.EXPIRED)
    body = sysops_client.get(f"/api/v1/staff/customers/{subscription.customer_id}/overview").json()
    assert body["customer"]["reference"] == subscription.customer.reference
    assert body["customer"]["address"]["city"] == "Bristol"
    assert body["card"]["last4"] == "4242"
    assert body["schedule"][0]["gross"]["amount_minor"] == 11880
    assert body["products"][0]["name"] == "Helpdesk Suite"
    assert {c["status"] for c in body["contracts"]} == {"active", "expired"}
    assert body["requests"][0]["reference"].startswith("REQ-")
    assert body["invoices"][0]["number"].startswith("INV-")
    assert body["payments"][0]["status"] == "succeeded"
    assert body["notifications"] and body["audit"] and body["journey"]
    assert body["risks"][0]["code"] == "contract_expired"


def test_customers_cannot_reach_the_staff_view(customer_client, subscription):
    url = reverse("sysops:customer", args=[subscription.customer_id])
    assert customer_client.get(url).status_code == 404
    api = f"/api/v1/staff/customers/{subscription.customer_id}/overview"
    assert customer_client.get(api).status_code == 404


def test_the_page_shows_every_fact_the_seed_asks_for(sysops_client, sysops, plan):
    subscription = rich_customer(plan, sysops)
    page = sysops_client.get(reverse("sysops:customer", args=[subscription.customer_id]))
    html = page.content.decode()
    newest = Contract.objects.get(customer_id=subscription.customer_id, term_index=1)
    facts = {
        "address": "1 High Street",
        "contact info": "andrew@northwind.test",
        "payment": "Visa •••• 4242",
        "payment schedule": "118.80 EUR</strong>",
        "payment expiry": 'data-fact="card-expiry"',
        "contract age": f"({newest.age_days} days ago)",
        "contract expiry": 'data-fact="days-left"',
        "product": "Helpdesk Suite",
        "product age": f"product {(today() - date(2020, 1, 15)).days} days old",
        "request history": "Problem number 0",
        "VAT number": "VAT GB123456789",
    }
    missing = [name for name, text in facts.items() if text not in html]
    assert page.status_code == 200
    assert missing == []


def test_the_view_embedded_in_another_page_leaves_the_h1_to_that_page(subscription):
    overview = _overview(subscription)
    alone = render_to_string("sysops/_overview_body.html", {"o": overview})
    embedded = render_to_string("sysops/_overview_body.html", {"o": overview, "embedded": True})
    assert alone.count("<h1") == 1
    assert "<h1" not in embedded
    assert overview.customer.display_name in embedded


def test_an_invoice_whose_charge_failed_before_its_due_date_is_unpaid_not_overdue(subscription):
    due = today() + timedelta(days=14)
    make_invoice(
        subscription,
        0,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.DECLINED,
        due_date=due,
    )
    risk = _overview(subscription).risks[0]
    assert (risk.code, risk.level) == ("invoice_overdue", "red")
    assert "charge failed, due" in risk.message and "overdue" not in risk.message.lower()


def test_an_invoice_past_its_due_date_says_since_when(subscription):
    make_invoice(
        subscription,
        0,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.DECLINED,
        due_date=today() - timedelta(days=2),
    )
    assert "overdue since" in _overview(subscription).risks[0].message


def test_a_plan_change_shows_in_the_history_page_and_api(sysops_client, customer):
    plan = plan_with_prices()
    enterprise = plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)
    anchor = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
    subscription = bought(ready_customer(customer), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription_change_plan(subscription=subscription, plan=enterprise, quantity=2, actor=customer)

    (change,) = _overview(subscription).plan_changes
    assert (change.from_plan.name, change.to_plan.name, change.to_quantity) == (
        "Business Care",
        "Enterprise Care",
        2,
    )
    page = sysops_client.get(reverse("sysops:customer", args=[subscription.customer_id]))
    html = page.content.decode()
    assert f'data-plan-change="{change.pk}"' in html and change.invoice.number in html
    api = sysops_client.get(f"/api/v1/staff/customers/{subscription.customer_id}/overview")
    (row,) = api.json()["plan_changes"]
    assert (row["to_plan"], row["to_quantity"], row["status"], row["requested_by"]) == (
        "Enterprise Care",
        2,
        "applied",
        customer.email,
    )
