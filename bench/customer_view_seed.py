"""Seed a PostgreSQL database with N customers and their history, fast, for bench/customer_view.py.

Rows go in with COPY through psycopg (no ORM, no signals), in the shape the services would leave
them: per customer a user, the customer record, five journey steps, a card, a subscription,
`invoices` invoices with their payment attempts, a contract with its acceptance (support
requirements, their ratings and the reviews they opened; see `acceptance_of`), about one
repair/troubleshoot request with its history, notifications with their deliveries, and audit
entries.

Speed: foreign-key triggers are off for the seeding session (session_replication_role = replica:
the generator keeps every reference consistent itself), and the trigram search indexes are
dropped first and rebuilt after, which is much faster than maintaining them row by row.
"""

import importlib
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from psycopg.types.json import Jsonb

from onboarding.acceptance.models import Requirement, Review
from onboarding.accounts.models import Customer, User
from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Invoice, PaymentState, Subscription
from onboarding.catalog.models import Plan, PlanPrice, Product
from onboarding.contracts.models import Contract
from onboarding.health.models import Band, CustomerHealth, CustomerHealthSnapshot, Factor
from onboarding.journey.models import JourneyStep, Step
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.payments.models import PaymentAttempt, PaymentMethod
from onboarding.risk.models import RiskEvent
from onboarding.sysops.models import SEVERITY_RANK, ServiceRequest, ServiceRequestUpdate

# The trigram indexes of sysops migration 0002 (dropped before the COPY, rebuilt after).
TRIGRAM_INDEXES: dict[str, str] = importlib.import_module(
    "onboarding.sysops.migrations.0002_search_indexes"
).INDEXES

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CHUNK = 50_000

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Ken",
    "Margaret",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "John",
    "Katherine",
    "Tim",
    "Hedy",
    "Donald",
    "Sophie",
    "Niklaus",
    "Shafi",
    "Leslie",
    "Fran",
    "Butler",
    "Jean",
    "Carl",
    "Anita",
    "Vint",
    "Joan",
    "Bjarne",
    "Guido",
    "Yukihiro",
    "Anders",
    "Rasmus",
    "Brendan",
    "James",
    "Larry",
    "Sergey",
    "Susan",
    "Mary",
    "Elena",
    "Omar",
    "Priya",
    "Ravi",
    "Chen",
    "Wei",
    "Fatima",
    "Aisha",
    "Lucas",
    "Emma",
    "Noah",
    "Olivia",
    "Liam",
    "Ava",
    "Mateo",
    "Mia",
    "Hugo",
    "Lea",
    "Nils",
    "Freya",
    "Ingrid",
    "Bjorn",
]
_SYLLABLES = [
    "an",
    "ber",
    "cor",
    "dal",
    "el",
    "fin",
    "gar",
    "hol",
    "ing",
    "jar",
    "kel",
    "lor",
    "man",
    "nor",
    "ost",
    "par",
    "quin",
    "ros",
    "sal",
    "tor",
    "ul",
    "var",
    "wen",
    "xan",
    "yor",
    "zel",
    "brook",
    "field",
    "stone",
    "ridge",
    "well",
    "worth",
    "ton",
    "ley",
    "by",
    "ham",
    "more",
    "dale",
]


def _surnames(count: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        parts = rng.randint(2, 3)
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(names)


SUFFIXES = ("Ltd", "GmbH", "Inc", "BV", "SA", "LLP", "Group", "Systems", "Labs", "Partners")
CITIES = ("London", "Bristol", "Leeds", "Glasgow", "Cardiff", "Berlin", "Paris", "Madrid", "Oslo")
KINDS = ("repair", "troubleshoot")
SEVERITIES = ("low", "normal", "normal", "normal", "high", "critical")


class Names:
    """Deterministic people and companies: customer `i` always gets the same ones."""

    def __init__(self, seed: int = 42) -> None:
        rng = random.Random(seed)
        self.surnames = _surnames(3000, rng)
        self.companies = [
            f"{rng.choice(self.surnames)}{rng.choice(_SYLLABLES)} {rng.choice(SUFFIXES)}"
            for _ in range(60_000)
        ]

    def person(self, i: int) -> tuple[str, str]:
        return FIRST_NAMES[(i * 7) % len(FIRST_NAMES)], self.surnames[(i * 7919) % 3000]

    def email(self, i: int) -> str:
        first, last = self.person(i)
        return f"{first}.{last}{i}@{self.company_domain(i)}".lower()

    def company(self, i: int) -> str:
        return self.companies[(i * 104729) % len(self.companies)]

    def company_domain(self, i: int) -> str:
        return self.company(i).split()[0].lower() + ".example"

    @staticmethod
    def phone(i: int) -> str:
        return f"+44{7000000000 + (i * 2654435761) % 999999999:010d}"

    @staticmethod
    def invoice_number(customer: int, n: int, invoices: int) -> str:
        return f"INV-2026-{(customer - 1) * invoices + n + 1:07d}"

    @staticmethod
    def contract_number(customer: int) -> str:
        return f"CTR-2026-{customer:07d}"


# --- COPY --------------------------------------------------------------------------------------


def _default(field: models.Field) -> Any:
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return NOW
    if isinstance(field, models.CharField | models.TextField) and field.blank:
        return ""
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value")


def copy_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """COPY `rows` (dicts by attname) into `model`'s table; unnamed columns get their default."""
    fields = list(model._meta.concrete_fields)
    defaults = {}
    for field in fields:
        try:
            defaults[field.attname] = _default(field)
        except ValueError:
            defaults[field.attname] = _MISSING
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for field in fields:
                value = row.get(field.attname, defaults[field.attname])
                if value is _MISSING:
                    raise ValueError(f"{model.__name__}.{field.attname} needs a value")
                if field.attname in json_fields:
                    value = Jsonb(value)
                values.append(value)
            copy.write_row(values)
            count += 1
    return count


_MISSING = object()


def _reset_sequences(models_: list[type[models.Model]]) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(sql)


# --- The catalog ---------------------------------------------------------------------------------


def catalog() -> list[Plan]:
    plans = []
    for n, (name, released) in enumerate(
        (
            ("Helpdesk Suite", date(2019, 3, 1)),
            ("Edge Router", date(2021, 9, 15)),
            ("Cloud Backup", date(2023, 1, 10)),
        )
    ):
        product, _ = Product.objects.get_or_create(
            slug=f"bench-product-{n}", defaults={"name": f"{name} (bench)", "released_on": released}
        )
        plan, created = Plan.objects.get_or_create(
            slug=f"bench-plan-{n}",
            defaults={
                "product": product,
                "name": f"{name} Care",
                "tier": "business",
                "summary": "Business-hours support",
                "includes": "Phone\nEmail",
                "response_time_hours": 8,
            },
        )
        if created:
            for cycle, amount in (("monthly", 9900), ("quarterly", 27900), ("annual", 99000)):
                PlanPrice.objects.create(plan=plan, cycle=cycle, amount_minor=amount * (n + 1))
        plans.append(plan)
    return plans


# --- Row generators, one table at a time ---------------------------------------------------------


def _ids(first: int, count: int) -> range:
    return range(first, first + count)


def users(ids: range, names: Names) -> Iterator[dict]:
    for i in ids:
        first, last = names.person(i)
        yield {
            "id": i,
            "password": "!bench",  # unusable: nobody signs in as a seeded customer
            "first_name": first,
            "last_name": last,
            "email": names.email(i),
            "role": "customer",
            "preferred_inbox": "email" if i % 3 else "in_app",
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
            "date_joined": NOW - timedelta(days=i % 1500),
        }


def customers(ids: range, names: Names) -> Iterator[dict]:
    for i in ids:
        yield {
            "user_id": i,
            "company": names.company(i),
            "phone": names.phone(i),
            "address_line1": f"{i % 300 + 1} High Street",
            "city": CITIES[i % len(CITIES)],
            "postal_code": f"BS{i % 90 + 1} {i % 9}AB",
            "country": "GB",
            "created_at": NOW - timedelta(days=i % 1500),
            "updated_at": NOW - timedelta(days=i % 700),
        }


def journey_steps(ids: range) -> Iterator[dict]:
    for i in ids:
        for step in Step.ordered():
            done = step.position < 4 or i % 5
            yield {
                "id": (i - 1) * 5 + step.position + 1,
                "customer_id": i,
                "step": step.value,
                "position": step.position,
                "state": "done" if done else "pending",
                "updated_at": NOW - timedelta(days=i % 1500),
                "completed_at": NOW - timedelta(days=i % 1500) if done else None,
            }


def cards(ids: range) -> Iterator[dict]:
    for i in ids:
        yield {
            "id": i,
            "customer_id": i,
            "gateway": "sandbox",
            "token": f"tok_bench_{i}",
            "brand": ("visa", "mastercard", "amex")[i % 3],
            "last4": f"{i % 10000:04d}",
            "exp_month": i % 12 + 1,
            "exp_year": 2026 + i % 5,
            "status": "active",
            "created_at": NOW - timedelta(days=i % 1500),
        }


def subscriptions(ids: range, plans: list[Plan]) -> Iterator[dict]:
    for i in ids:
        plan = plans[i % len(plans)]
        bought = NOW - timedelta(days=i % 1500 + 1)
        yield {
            "id": i,
            "customer_id": i,
            "plan_id": plan.pk,
            "status": "active" if i % 50 else "past_due",
            "cycle": "monthly",
            "amount_minor": 9900 * (i % len(plans) + 1),
            "currency": "EUR",
            "tax_rate_bp": 2000,
            "purchased_at": bought,
            "billing_anchor": bought,
            "current_period_start": NOW - timedelta(days=i % 28),
            "current_period_end": NOW + timedelta(days=30 - i % 28),
            "next_invoice_at": NOW + timedelta(days=30 - i % 28),
            "first_paid_at": bought,
        }


def invoices(ids: range, per_customer: int) -> Iterator[dict]:
    for i in ids:
        for n in range(per_customer):
            start = NOW - timedelta(days=30 * (per_customer - n))
            failed = n == per_customer - 1 and i % 50 == 0
            number = Names.invoice_number(i, n, per_customer)
            yield {
                "id": (i - 1) * per_customer + n + 1,
                "customer_id": i,
                "subscription_id": i,
                "status": "open" if failed else "paid",
                "series": "INV",
                "number": number,
                "number_year": 2026,
                "number_seq": (i - 1) * per_customer + n + 1,
                "currency": "EUR",
                "tax_rate_bp": 2000,
                "subtotal_minor": 9900,
                "tax_minor": 1980,
                "total_minor": 11880,
                "period_start": start,
                "period_end": start + timedelta(days=30),
                "issue_date": start.date(),
                "due_date": start.date() + timedelta(days=14),
                "finalized_at": start,
                "bill_to_name": "Customer",
                "customer_reference": f"CUS-{i:06d}",
                "payment_state": PaymentState.DECLINED if failed else PaymentState.SUCCEEDED,
                "attempt_count": 1,
                "paid_at": None if failed else start + timedelta(hours=1),
                "created_at": start,
            }


def payments(ids: range, per_customer: int) -> Iterator[dict]:
    for i in ids:
        for n in range(per_customer):
            failed = n == per_customer - 1 and i % 50 == 0
            yield {
                "id": (i - 1) * per_customer + n + 1,
                "customer_id": i,
                "payment_method_id": i,
                "invoice_reference": Names.invoice_number(i, n, per_customer),
                "idempotency_key": f"invoice:{Names.invoice_number(i, n, per_customer)}:attempt:1",
                "amount_minor": 11880,
                "currency": "EUR",
                "status": "declined" if failed else "succeeded",
                "code": "card_declined" if failed else "",
                "message": "Your card was declined." if failed else "",
                "gateway": "sandbox",
                "created_at": NOW - timedelta(days=30 * (per_customer - n)),
                "settled_at": NOW - timedelta(days=30 * (per_customer - n)),
            }


def contracts(ids: range, plans: list[Plan]) -> Iterator[dict]:
    for i in ids:
        plan = plans[i % len(plans)]
        start = NOW - timedelta(days=i % 300 + 1)
        yield {
            "id": i,
            "customer_id": i,
            "subscription_id": i,
            "plan_id": plan.pk,
            "term_index": 1,
            "number": Names.contract_number(i),
            "state": "active",
            "term_start": start,
            "term_end": start + timedelta(days=365),
            "term_months": 12,
            "cycle": "monthly",
            "amount_minor": 9900,
            "currency": "EUR",
            "tax_rate_bp": 2000,
            "product_name": plan.product.name,
            "plan_name": plan.name,
            "service_terms": {"tier": "business"},
            "created_at": start,
            "issued_at": start,
            "sent_at": start,
            "document_version_wanted": 1,
            "delivered_version": 1,
            "updated_at": start,
        }


# --- Acceptance ----------------------------------------------------------------------------------

REQUIREMENTS = (
    ("Response time", "A technician answers within the plan's response time, business hours."),
    ("Spare parts", "Replacement units for the installed model are held in the region."),
    ("Remote access", "SysOps can reach the device over the customer's VPN."),
    ("Escalation contact", "The customer named an on-call contact for critical faults."),
    ("Maintenance window", "Updates are applied Sundays 02:00-04:00 local time."),
)
REQUIREMENT_SLOTS = len(REQUIREMENTS)
REVIEW_SLOTS = 2  # the current review and the green one it superseded


def acceptance_of(i: int) -> str:
    """Customer `i`'s contract acceptance, in the proportions a live book of contracts has:
    80% green, 10% yellow, 4% red, 4% still being captured, 2% nothing captured yet."""
    bucket = (i * 2654435761 >> 9) % 100
    if bucket < 2:
        return "unknown"
    if bucket < 6:
        return "in_capture"
    if bucket < 86:
        return "green"
    if bucket < 96:
        return "yellow"
    return "red"


def _requirement_count(i: int) -> int:
    return 3 + i % 3  # 3 to 5


def _ratings(i: int, status: str) -> list[str]:
    count = _requirement_count(i)
    if status == "unknown":
        return []
    if status == "in_capture":
        return ["green"] * (count - 2) + ["unrated", "unrated"]
    ratings = ["green"] * count
    if status in ("yellow", "red"):
        ratings[i % count] = status
        if status == "red" and i % 2:
            ratings[(i + 1) % count] = "yellow"  # a red contract often has a yellow as well
    return ratings


def _contract_start(i: int) -> datetime:
    return NOW - timedelta(days=i % 300 + 1)  # as contracts() writes it


def requirements(ids: range) -> Iterator[dict]:
    for i in ids:
        captured = _contract_start(i) + timedelta(days=3)
        for n, rating in enumerate(_ratings(i, acceptance_of(i))):
            title, criteria = REQUIREMENTS[n]
            yield {
                "id": (i - 1) * REQUIREMENT_SLOTS + n + 1,
                "contract_id": i,
                "title": title,
                "criteria": criteria,
                "rating": rating,
                "owner_id": i,  # the customer's own user stands in for the SysOps owner
                "notes": "" if rating in ("green", "unrated") else "Not yet met on site.",
                "position": n,
                "created_at": captured,
                "updated_at": captured + timedelta(days=2),
            }


def _review(i: int, slot: int, rating: str, state: str, opened: datetime, **fields) -> dict:
    hours = {"green": 24, "yellow": 8, "red": 1}[rating]
    closed = state not in ("open", "acknowledged", "remediation", "escalated")
    return {
        "id": (i - 1) * REVIEW_SLOTS + slot + 1,
        "contract_id": i,
        "rating": rating,
        "state": state,
        "opened_at": opened,
        "ack_due_at": opened + timedelta(hours=hours),
        "closed_at": opened + timedelta(hours=hours // 2 or 1) if closed else None,
        **fields,
    }


def reviews(ids: range) -> Iterator[dict]:
    """Green contracts: their green review, acknowledged (one in a hundred still waiting, past its
    deadline). Yellow and red: the green review their rating superseded and the live one, in each
    state a manager leaves it; some yellow ones already accepted with conditions (closed)."""
    for i in ids:
        status = acceptance_of(i)
        if status in ("unknown", "in_capture"):
            continue
        rated = _contract_start(i) + timedelta(days=5)
        if status == "green":
            waiting = i % 100 == 0
            state = "open" if waiting else "accepted"
            extra = {"overdue_at": rated + timedelta(hours=24)} if waiting else {}
            if not waiting:
                extra = {"acknowledged_at": rated + timedelta(hours=2), "acknowledged_by_id": i}
            yield _review(i, 0, "green", state, rated, **extra)
            continue
        yield _review(i, 0, "green", "superseded", rated - timedelta(days=2))
        states = ("open", "acknowledged", "remediation", "escalated", "accepted_with_conditions")
        state = states[i % len(states)]
        extra: dict[str, Any] = {}
        if state == "open" and i % 3 == 0:
            extra["overdue_at"] = rated + timedelta(hours=8)
        if state != "open":
            extra |= {"acknowledged_at": rated + timedelta(hours=1), "acknowledged_by_id": i}
        if state in ("remediation", "escalated", "accepted_with_conditions"):
            extra |= {"acted_at": rated + timedelta(hours=3), "acted_by_id": i}
            extra["outcome_note"] = "Spare parts ordered; re-rate after delivery."
        if state == "remediation":
            extra |= {"remediation_owner_id": i, "remediation_due": (rated + timedelta(14)).date()}
        yield _review(i, 1, status, state, rated, **extra)


def risk_events(ids: range) -> Iterator[dict]:
    """What the timers raised: requirements not captured or rated by their deadline (half the
    contracts still in capture or unknown) and yellow/red reviews nobody acknowledged in time."""
    for i in ids:
        status = acceptance_of(i)
        unacknowledged = status in ("yellow", "red") and i % 5 == 0 and i % 3 == 0  # open, late
        if status in ("unknown", "in_capture") and i % 2:
            kind, level, rating = "requirements_unknown", "red", ""
            reason = "Support requirements not captured and rated by the deadline."
        elif unacknowledged:
            kind, level, rating = "acceptance_unacknowledged", status, status
            reason = f"A {status} acceptance was not acknowledged by a manager in time."
        else:
            continue
        yield {
            "id": i,
            "event_id": uuid.UUID(int=i),
            "dedupe_key": f"bench:{kind}:{i}",
            "type": kind,
            "level": level,
            "rating": rating,
            "reason": reason,
            "contract_id": i,
            "customer_id": i,
            "occurred_at": _contract_start(i) + timedelta(days=6),
            "state": "open",
        }


def requests_for(i: int) -> int:
    """How many requests customer `i` has opened: 0 to 3, about one on average."""
    return (i * 2654435761 >> 7) % 4 if i % 2 else (i % 3 == 0)


def service_requests(ids: range, offsets: dict[int, int]) -> Iterator[dict]:
    for i in ids:
        for n in range(requests_for(i)):
            severity = SEVERITIES[(i + n) % len(SEVERITIES)]
            opened = NOW - timedelta(days=(i + n * 37) % 400 + 1)
            closed = n > 0 or i % 4 == 0
            yield {
                "id": offsets[i] + n,
                "customer_id": i,
                "subscription_id": i,
                "kind": KINDS[(i + n) % 2],
                "severity": severity,
                "severity_rank": SEVERITY_RANK[severity],
                "summary": f"Unit {i % 97} reports error {n}",
                "description": "The device restarts every few minutes after the update.",
                "status": "closed" if closed else "new",
                "source": "portal",
                "opened_by_id": i,
                "created_at": opened,
                "updated_at": opened + timedelta(days=1),
                "closed_at": opened + timedelta(days=2) if closed else None,
            }


def service_request_updates(ids: range, offsets: dict[int, int]) -> Iterator[dict]:
    for i in ids:
        for n in range(requests_for(i)):
            request_id = offsets[i] + n
            opened = NOW - timedelta(days=(i + n * 37) % 400 + 1)
            yield {
                "id": request_id * 2 - 1,
                "request_id": request_id,
                "kind": "opened",
                "author_id": i,
                "to_status": "new",
                "created_at": opened,
            }
            yield {
                "id": request_id * 2,
                "request_id": request_id,
                "kind": "comment",
                "body": "We are looking into it.",
                "created_at": opened + timedelta(hours=2),
            }


def notifications(ids: range, per_customer: int) -> Iterator[dict]:
    for i in ids:
        for n in range(per_customer):
            yield {
                "id": (i - 1) * per_customer + n + 1,
                "recipient_id": i,
                "kind": "invoice.paid",
                "dedupe_key": f"bench:{i}:{n}",
                "channels": ["email"],
                "to_email": f"c{i}@example.test",
                "subject": f"Payment received ({n})",
                "body_text": "Thank you, your payment was received.\n",
                "created_at": NOW - timedelta(days=30 * (per_customer - n)),
            }


def deliveries(ids: range, per_customer: int) -> Iterator[dict]:
    for row in notifications(ids, per_customer):
        yield {
            "id": row["id"],
            "topic": "notification.email",
            "payload": {"notification_id": row["id"]},
            "dedupe_key": f"notification:{row['id']}:email",
            "notification_id": row["id"],
            "channel": "email",
            "status": "sent",
            "attempts": 1,
            "created_at": row["created_at"],
            "updated_at": row["created_at"],
            "sent_at": row["created_at"],
        }


AUDIT_ACTIONS = (
    "customer.created",
    "customer.profile_updated",
    "payment_method.added",
    "subscription.purchased",
    "invoice.paid",
)


def audit_entries(ids: range, first_id: int) -> Iterator[dict]:
    for i in ids:
        for n, action in enumerate(AUDIT_ACTIONS):
            yield {
                "id": first_id + (i - 1) * len(AUDIT_ACTIONS) + n,
                "occurred_at": NOW - timedelta(days=i % 1500) + timedelta(minutes=n),
                "actor_id": i,
                "actor_email": f"c{i}@example.test",
                "actor_role": "customer",
                "action": action,
                "object_type": "accounts.customer",
                "object_id": str(i),
                "customer_id": i,
                "changes": {},
            }


# --- Health ------------------------------------------------------------------------------------

# The default weights and bands (HealthSettings): each factor's most points, red below 40,
# green from 70.
HEALTH_WEIGHTS = {
    Factor.PAYMENT: 30,
    Factor.ACCEPTANCE: 20,
    Factor.CONTRACT: 15,
    Factor.SERVICE: 20,
    Factor.CARD: 10,
    Factor.ENGAGEMENT: 5,
}
ACCEPTANCE_COST = {"unknown": 10, "in_capture": 5, "green": 0, "yellow": 10, "red": 20}
HEALTH_SNAPSHOTS = 4  # the most history rows a customer gets (0 to 4, about 2 on average)


def _band(score: int) -> str:
    return Band.RED if score < 40 else Band.GREEN if score >= 70 else Band.YELLOW


def health_factors(i: int) -> list[dict]:
    """Customer `i`'s factors as the scoring would explain its seeded rows: the declined
    payment and open invoice of one customer in fifty, the contract's acceptance, an open
    request, and a little engagement noise so scores spread."""
    acceptance = acceptance_of(i)
    costs = {
        Factor.PAYMENT: (30, "1 invoice open after a declined payment.")
        if i % 50 == 0
        else (0, ""),
        Factor.ACCEPTANCE: (
            ACCEPTANCE_COST[acceptance],
            f"Acceptance is {acceptance.replace('_', ' ')}." if ACCEPTANCE_COST[acceptance] else "",
        ),
        Factor.CONTRACT: (0, ""),
        Factor.SERVICE: (8, "1 open request.")
        if i % 2 and i % 4 != 0 and requests_for(i)
        else (0, ""),
        Factor.CARD: (0, ""),
        Factor.ENGAGEMENT: (i % 6, f"Last signed in {i % 6 * 20} days ago.") if i % 6 else (0, ""),
    }
    return [
        {
            "factor": str(factor),
            "cost": cost,
            "weight": HEALTH_WEIGHTS[factor],
            "explanation": explanation or "Nothing costs points here.",
        }
        for factor, (cost, explanation) in costs.items()
    ]


def _health_history(i: int) -> list[tuple[datetime, int]]:
    """(computed_at, score) of customer `i`'s snapshots, oldest first; the last is the current
    score."""
    score = 100 - sum(f["cost"] for f in health_factors(i))
    older = i % (HEALTH_SNAPSHOTS + 1)
    history = [
        (
            NOW - timedelta(days=20 * (older - n) + i % 7),
            min(100, score + 6 * (older - n) - 3 * (i % 3)),
        )
        for n in range(older)
    ]
    return [*history, (NOW - timedelta(hours=i % 48), score)]


def customer_health(ids: range) -> Iterator[dict]:
    for i in ids:
        history = _health_history(i)
        computed_at, score = history[-1]
        month_ago = [s for at, s in history if at <= NOW - timedelta(days=30)]
        yield {
            "customer_id": i,
            "score": score,
            "band": _band(score),
            "factors": health_factors(i),
            "trend": score - month_ago[-1] if month_ago else 0,
            "computed_at": computed_at,
            "review_at": None,
        }


def health_snapshots(ids: range, first_id: int) -> Iterator[dict]:
    per = HEALTH_SNAPSHOTS + 1
    for i in ids:
        factors = health_factors(i)
        for n, (computed_at, score) in enumerate(_health_history(i)):
            yield {
                "id": first_id + (i - 1) * per + n,
                "customer_id": i,
                "score": score,
                "band": _band(score),
                "factors": factors,
                "computed_at": computed_at,
            }


def seed_health(*, count: int, log: Callable[[str], None] = print) -> dict[str, int]:
    """Write the current score and its history of customers 1..count into a seeded database
    that has none yet (a database seeded before the health app is brought up to date)."""
    if CustomerHealth.objects.exists():
        raise RuntimeError("this database already holds health scores")
    started = time.monotonic()
    written = {"CustomerHealth": 0, "CustomerHealthSnapshot": 0}
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        for chunk_start in range(1, count + 1, CHUNK):
            ids = _ids(chunk_start, min(CHUNK, count + 1 - chunk_start))
            written["CustomerHealth"] += copy_rows(CustomerHealth, customer_health(ids))
            written["CustomerHealthSnapshot"] += copy_rows(
                CustomerHealthSnapshot, health_snapshots(ids, 1)
            )
            log(f"  health: {ids.stop - 1:>9,} / {count:,}  {time.monotonic() - started:7.1f}s")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    _reset_sequences([CustomerHealthSnapshot])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE health_customerhealth")
        cursor.execute("ANALYZE health_customerhealthsnapshot")
    return written


# --- The run -------------------------------------------------------------------------------------


def _drop_trigram_indexes() -> None:
    with connection.cursor() as cursor:
        for name in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


def _create_trigram_indexes(log: Callable[[str], None]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in TRIGRAM_INDEXES.items():
            started = time.monotonic()
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
            log(f"  index {name}: {time.monotonic() - started:.1f}s")


def seed(
    *,
    count: int,
    invoices_per_customer: int = 3,
    notifications_per_customer: int = 2,
    log: Callable[[str], None] = print,
) -> dict[str, int]:
    """Write `count` customers (ids 1..count) into an empty database; rows written per table."""
    if User.objects.exists():
        raise RuntimeError("seed into a fresh database (bench/customer_view.py --reseed)")
    names = Names()
    plans = catalog()
    first, request_first = 1, 1
    audit_first = (AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    written: dict[str, int] = {}
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while seeding
    _drop_trigram_indexes()
    try:
        for chunk_start in range(first, first + count, CHUNK):
            ids = _ids(chunk_start, min(CHUNK, first + count - chunk_start))
            offsets, next_request = {}, request_first
            for i in ids:
                offsets[i] = next_request
                next_request += requests_for(i)
            request_first = next_request
            tables = (
                (User, users(ids, names)),
                (Customer, customers(ids, names)),
                (JourneyStep, journey_steps(ids)),
                (PaymentMethod, cards(ids)),
                (Subscription, subscriptions(ids, plans)),
                (Invoice, invoices(ids, invoices_per_customer)),
                (PaymentAttempt, payments(ids, invoices_per_customer)),
                (Contract, contracts(ids, plans)),
                (Requirement, requirements(ids)),
                (Review, reviews(ids)),
                (RiskEvent, risk_events(ids)),
                (ServiceRequest, service_requests(ids, offsets)),
                (ServiceRequestUpdate, service_request_updates(ids, offsets)),
                (Notification, notifications(ids, notifications_per_customer)),
                (OutboxMessage, deliveries(ids, notifications_per_customer)),
                (AuditEntry, audit_entries(ids, audit_first)),
                (CustomerHealth, customer_health(ids)),
                (CustomerHealthSnapshot, health_snapshots(ids, 1)),
            )
            with connection.cursor():
                for model, rows in tables:
                    written[model.__name__] = written.get(model.__name__, 0) + copy_rows(
                        model, rows
                    )
            done = ids.stop - first
            elapsed = time.monotonic() - started
            log(
                f"  {done:>9,} / {count:,} customers  {elapsed:7.1f}s  "
                f"({done / elapsed:,.0f} customers/s, {sum(written.values()):,} rows)"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    _reset_sequences([model for model, _ in tables])
    log("  rebuilding the trigram search indexes")
    _create_trigram_indexes(log)
    # As a live database would be: hint bits set and the visibility map written (so the first
    # read of a page does not write it), and statistics for the planner.
    log("  VACUUM (ANALYZE)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    log(f"  seeded in {time.monotonic() - started:.0f}s")
    return written
