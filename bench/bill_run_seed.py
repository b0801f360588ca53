"""Seed N customers, each with a sandbox card on file and a live monthly subscription whose next
period starts at a given moment: what a bill run finds on a busy renewal day.

Used by bench/bill_run.py and by the bill-run crash test. Rows go in with the ORM's bulk_create
(portable to SQLite and PostgreSQL), in the shape the services leave them after a first invoice
was paid: an active subscription one month in, first_paid_at set, its next invoice due.
"""

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime

from django.db import connection

from onboarding.accounts.models import Customer, PreferredInbox, User
from onboarding.billing.models import Subscription, SubscriptionStatus
from onboarding.billing.periods import add_months
from onboarding.catalog.models import BillingCycle, Plan, PlanPrice, Product
from onboarding.core.roles import Role
from onboarding.payments.models import PaymentMethod, SandboxCard

CHUNK = 5000
PRICE_MINOR, LITE_MINOR, TAX_RATE_BP = 9900, 4900, 2000


def bench_lite_plan(product: Product) -> Plan:
    """The plan the changing subscriptions move down to at the period's end."""
    plan, created = Plan.objects.get_or_create(
        slug="bench-care-lite",
        defaults={
            "product": product,
            "name": "Bench Care Lite",
            "tier": "essential",
            "summary": "Less support for the benchmark",
            "includes": "Something",
            "response_time_hours": 24,
        },
    )
    if created:
        PlanPrice.objects.create(plan=plan, cycle=BillingCycle.MONTHLY, amount_minor=LITE_MINOR)
    return plan


def bench_plan() -> Plan:
    product, _ = Product.objects.get_or_create(
        slug="bench-suite", defaults={"name": "Bench Suite", "released_on": "2020-01-01"}
    )
    plan, created = Plan.objects.get_or_create(
        slug="bench-care",
        defaults={
            "product": product,
            "name": "Bench Care",
            "tier": "business",
            "summary": "Support for the benchmark",
            "includes": "Everything",
            "response_time_hours": 8,
        },
    )
    if created:
        PlanPrice.objects.create(plan=plan, cycle=BillingCycle.MONTHLY, amount_minor=PRICE_MINOR)
    return plan


def _chunk(
    start: int,
    count: int,
    *,
    tag: str,
    plan: Plan,
    due_at: datetime,
    declining: int,
    changing: int = 0,
    lite: Plan | None = None,
) -> None:
    anchor = add_months(due_at, -1)
    numbers = range(start, start + count)
    users = User.objects.bulk_create(
        [
            User(
                email=f"bill-{tag}-{n}@bench.test",
                password="!",  # unusable: nobody signs in as a seeded customer
                role=Role.CUSTOMER,
                first_name="Bench",
                last_name=f"Customer {n}",
                preferred_inbox=PreferredInbox.IN_APP if n % 2 else PreferredInbox.EMAIL,
            )
            for n in numbers
        ]
    )
    customers = Customer.objects.bulk_create(
        [
            Customer(
                user=user,
                company=f"Bench Company {n}",
                address_line1=f"{n} Bench Street",
                city="Bristol",
                postal_code="BS1 4DJ",
                country="GB",
            )
            for n, user in zip(numbers, users, strict=True)
        ]
    )
    tokens = [f"tok_seed_{tag}_{n}" for n in numbers]
    SandboxCard.objects.bulk_create(
        [
            SandboxCard(
                token=token,
                customer_reference=customer.reference,
                behaviour="insufficient_funds" if declining and n % declining == 0 else "ok",
                brand="visa",
                last4="4242",
                exp_month=12,
                exp_year=due_at.year + 3,
            )
            for n, token, customer in zip(numbers, tokens, customers, strict=True)
        ]
    )
    PaymentMethod.objects.bulk_create(
        [
            PaymentMethod(
                customer=customer,
                gateway="sandbox",
                token=token,
                brand="visa",
                last4="4242",
                exp_month=12,
                exp_year=due_at.year + 3,
            )
            for token, customer in zip(tokens, customers, strict=True)
        ]
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                customer=customer,
                plan=plan,
                status=SubscriptionStatus.ACTIVE,
                cycle=BillingCycle.MONTHLY,
                amount_minor=PRICE_MINOR,
                currency="EUR",
                tax_rate_bp=TAX_RATE_BP,
                purchased_at=anchor,
                billing_anchor=anchor,
                current_period_start=anchor,
                current_period_end=due_at,
                next_invoice_at=due_at,
                first_paid_at=anchor,
                pending_plan=lite if changing and n % changing == 0 else None,
            )
            for n, customer in zip(numbers, customers, strict=True)
        ]
    )


def seed_subscriptions(
    *,
    count: int,
    due_at: datetime,
    declining: int = 0,
    changing: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Create `count` customers with cards and subscriptions due at `due_at`.

    `declining`: every declining-th customer's card is declined on every charge (0: none).
    `changing`: every changing-th subscription has a downgrade scheduled for `due_at` (0: none).
    """
    plan = bench_plan()
    lite = bench_lite_plan(plan.product) if changing else None
    tag = secrets.token_hex(3)
    for start in range(0, count, CHUNK):
        _chunk(
            start,
            min(CHUNK, count - start),
            tag=tag,
            plan=plan,
            due_at=due_at,
            declining=declining,
            changing=changing,
            lite=lite,
        )
        if progress:
            progress(min(start + CHUNK, count))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as autovacuum would leave them
    return plan


def due_moment(day: date) -> datetime:
    """A moment on `day` that a bill run for that day finds due."""
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
