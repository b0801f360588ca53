"""Customers with a subscription, a card and as much history as a test asks for."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from onboarding.acceptance.requirements import requirement_add
from onboarding.accounts.models import Contact, User
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState, Subscription
from onboarding.billing.services import subscription_purchase
from onboarding.catalog.models import Plan
from onboarding.contracts.models import Contract, ContractState
from onboarding.payments.models import PaymentAttempt, PaymentDispute, PaymentStatus
from onboarding.sysops.models import ServiceRequest
from onboarding.sysops.services import service_request_open

# The browser fixtures, for the full view's browser tests.
from tests.browser.conftest import page, screenshot  # noqa: F401
from tests.factories import UserFactory, complete_profile, plan_with_prices
from tests.payments.helpers import card_on_file


@pytest.fixture
def plan(db) -> Plan:
    return plan_with_prices()


def subscribe(user: User, plan: Plan, *, cycle: str = "monthly", **card_expiry) -> Subscription:
    """Profile, card and a purchase, through the services a customer's own clicks call."""
    customer = complete_profile(user.customer, phone="+441179460123")
    card_on_file(customer, **card_expiry)
    return subscription_purchase(customer=customer, plan=plan, cycle=cycle, actor=user)


@pytest.fixture
def subscription(customer, plan) -> Subscription:
    return subscribe(customer, plan)


@pytest.fixture
def other_subscription(other_customer, plan) -> Subscription:
    return subscribe(other_customer, plan)


def open_request(subscription: Subscription, **fields) -> ServiceRequest:
    values = {
        "kind": "troubleshoot",
        "severity": "normal",
        "summary": "The dashboard will not load",
        "description": "Since this morning the dashboard shows a blank page.",
        **fields,
    }
    return service_request_open(
        customer=subscription.customer,
        subscription_id=subscription.pk,
        actor=subscription.customer.user,
        **values,
    )


def make_invoice(subscription: Subscription, n: int, **fields) -> Invoice:
    start = timezone.now() - timedelta(days=31 * (n + 1))
    values = {
        "customer": subscription.customer,
        "subscription": subscription,
        "status": InvoiceStatus.PAID,
        "number": f"INV-2026-{900000 + subscription.pk * 1000 + n:06d}",
        "number_year": 2026,
        "number_seq": 900000 + subscription.pk * 1000 + n,
        "currency": "EUR",
        "tax_rate_bp": 2000,
        "subtotal_minor": 9900,
        "tax_minor": 1980,
        "total_minor": 11880,
        "period_start": start,
        "period_end": start + timedelta(days=31),
        "issue_date": start.date(),
        "due_date": start.date() + timedelta(days=14),
        "bill_to_name": "Acme Ltd",
        "customer_reference": subscription.customer.reference,
        "payment_state": PaymentState.SUCCEEDED,
        **fields,
    }
    return Invoice.objects.create(**values)


def make_payment(subscription: Subscription, n: int, **fields) -> PaymentAttempt:
    customer = subscription.customer
    values = {
        "customer": customer,
        "payment_method": customer.payment_methods.first(),
        "invoice_reference": f"INV-2026-{n:06d}",
        "idempotency_key": f"test:{customer.pk}:{n}",
        "amount_minor": 11880,
        "currency": "EUR",
        "status": PaymentStatus.SUCCEEDED,
        "gateway": "sandbox",
        "created_at": timezone.now() - timedelta(days=31 * (n + 1)),
        **fields,
    }
    return PaymentAttempt.objects.create(**values)


def make_dispute(payment: PaymentAttempt, **fields) -> PaymentDispute:
    """A dispute the customer's bank opened on `payment` ten days after it, still open."""
    values = {
        "attempt": payment,
        "gateway_dispute_id": f"dp_test_{payment.pk}",
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "reason": "fraudulent",
        "status": "needs_response",
        "opened_at": payment.created_at + timedelta(days=10),
        **fields,
    }
    return PaymentDispute.objects.create(**values)


def make_contract(subscription: Subscription, n: int, **fields) -> Contract:
    plan = subscription.plan
    # Term 0 is the one in force (a month in); older terms were renewed.
    start = timezone.now() - timedelta(days=30 + 365 * n)
    values = {
        "customer": subscription.customer,
        "subscription": subscription,
        "plan": plan,
        "term_index": n + 1,
        "number": f"CTR-2026-{700000 + subscription.pk * 1000 + n:06d}",
        "state": ContractState.ACTIVE if n == 0 else ContractState.RENEWED,
        "term_start": start,
        "term_end": start + timedelta(days=365),
        "term_months": 12,
        "cycle": subscription.cycle,
        "amount_minor": subscription.amount_minor,
        "currency": subscription.currency,
        "tax_rate_bp": subscription.tax_rate_bp,
        "product_name": plan.product.name,
        "plan_name": plan.name,
        "issued_at": start - timedelta(days=3),
        **fields,
    }
    return Contract.objects.create(**values)


def add_history(subscription: Subscription, count: int) -> None:
    """`count` requests (each with its notification and audit entry), invoices, payments and
    contracts for the subscription's customer."""
    for n in range(count):
        open_request(subscription, summary=f"Problem number {n}")
        make_invoice(subscription, n)
        make_payment(subscription, n)
        make_contract(subscription, n)


def today() -> date:
    return timezone.now().date()


def rich_customer(plan, engineer: User) -> Subscription:
    """A customer with something in every section of the full view, and something wrong in
    most: contacts, a card expiring this month, a year of history, an overdue invoice, a
    declined payment, a critical request, red and yellow acceptance ratings, an open alert."""
    now = timezone.now()
    user = UserFactory(email="ops@northwind.test", first_name="Nancy", last_name="Davolio")
    subscription = subscribe(user, plan, exp_month=now.month, exp_year=now.year)
    customer = subscription.customer
    customer.company = "Northwind Traders"
    customer.vat_number = "GB123456789"
    customer.save(update_fields=["company", "vat_number"])
    for name, role in (("Andrew Fuller", "Billing"), ("Janet Leverling", "Technical")):
        Contact.objects.create(
            customer=customer,
            name=name,
            role=role,
            email=f"{name.split()[0].lower()}@northwind.test",
            phone="+441179460999",
        )
    add_history(subscription, 12)
    make_invoice(
        subscription,
        40,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.DECLINED,
        due_date=today() - timedelta(days=5),
    )
    make_payment(
        subscription, 41, status=PaymentStatus.DECLINED, message="Card declined.", created_at=now
    )
    open_request(subscription, severity="critical", summary="Mail server down since 9:00")
    open_request(subscription, severity="high", summary="VPN drops every hour")
    contract = Contract.objects.get(customer=customer, term_index=1)
    for title, rating in (("Remote access", "red"), ("Backups", "yellow"), ("Monitoring", "green")):
        requirement_add(
            contract=contract, actor=engineer, title=title, criteria=f"{title} works", rating=rating
        )
    admin_alert_raise(
        reason="payment.declined",
        message="The card was declined at renewal.",
        target=subscription,
        customer_id=customer.pk,
        severity="warning",
    )
    return subscription
