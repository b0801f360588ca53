"""Billing test set-up: a plan, customers ready to buy, subscriptions bought through the service,
documents stored in a temporary directory, and the worker and the outbox relay run in this
process."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from onboarding.accounts.models import Customer
from onboarding.billing import documents
from onboarding.billing.models import Invoice, Subscription
from onboarding.billing.services import subscription_purchase
from onboarding.catalog.models import Plan
from onboarding.notifications.relay import relay_drain
from onboarding.payments.reconcile import payment_reconcile_unknown
from tests.factories import UserFactory, complete_profile, plan_with_prices
from tests.payments.helpers import GOOD_CARD, card_on_file
from tests.worker.conftest import run_worker_in_process

DECLINING_CARD = "4000000000009995"  # accepted on file, every charge declined (no funds)


@pytest.fixture(autouse=True)
def _media(media):
    """PDFs go to this test's own directory (`media`, tests/conftest.py)."""


@pytest.fixture
def plan(db) -> Plan:
    return plan_with_prices()


def ready_customer(user=None, *, card: str = GOOD_CARD, **profile) -> Customer:
    user = user or UserFactory()
    customer = complete_profile(user.customer, **profile)
    card_on_file(customer, card)
    return customer


def buy(customer: Customer, plan: Plan, cycle: str = "monthly") -> Subscription:
    return subscription_purchase(customer=customer, plan=plan, cycle=cycle, actor=customer.user)


def bought(
    customer: Customer, plan: Plan, cycle: str = "monthly", *, anchor: datetime
) -> Subscription:
    """A subscription bought at `anchor` (its first invoice not yet issued)."""
    subscription = buy(customer, plan, cycle)
    Subscription.objects.filter(pk=subscription.pk).update(
        purchased_at=anchor, billing_anchor=anchor, next_invoice_at=anchor
    )
    subscription.refresh_from_db()
    return subscription


def deliver_events() -> None:
    """What the relay process does: deliver every outbox row due now, so the events one app
    publishes (payment.settled, invoice.first_paid) reach the app that subscribes."""
    relay_drain(worker_id="billing-test-relay")


def run_tasks() -> None:
    """Run every task that is due, with the project's own worker, and the relay between passes,
    in this process, until neither has anything left (a task's events can queue more tasks)."""
    run_worker_in_process()
    while relay_drain(worker_id="billing-test-relay").claimed:
        run_worker_in_process()


def reconcile_and_deliver(*, now: datetime) -> int:
    """The payments reconciler, each pass's settles delivered to billing by the relay, until it
    settles nothing more; returns how many attempts it settled."""
    total = 0
    while settled := payment_reconcile_unknown(now=now):
        total += settled
        deliver_events()
    return total


def invoices_of(subscription: Subscription) -> list[Invoice]:
    return list(Invoice.objects.filter(subscription=subscription).order_by("period_start"))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def today():
    return timezone.now().date()


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Every PDF rendering in this process, by template (the real renderer still runs)."""
    calls: list[str] = []
    real = documents.pdf_render

    def counted(*, template: str, context: dict, language: str = "en") -> bytes:
        calls.append(template)
        return real(template=template, context=context, language=language)

    monkeypatch.setattr(documents, "pdf_render", counted)
    return calls
