"""What the bill run reads: due subscriptions claimed as plain values (model instances cost
too much per row at its scale), their customers' names and addresses as invoices print them,
and the catalogue's prices and names for the plans in a batch."""

import functools
from dataclasses import dataclass
from datetime import datetime

from django.utils import translation
from django.utils.translation import get_language
from django_countries import countries

from onboarding.accounts.addresses import address_lines
from onboarding.accounts.models import Customer
from onboarding.catalog.models import Plan, PlanPrice


def prices_of(plan_ids: set[int]) -> dict[tuple[int, str, str], int]:
    """Net prices by (plan, cycle, currency): a subscription changes cycle at its plan's price
    in its own currency, never another currency's number."""
    return {
        (plan_id, cycle, currency): amount
        for plan_id, cycle, currency, amount in PlanPrice.objects.filter(
            plan_id__in=plan_ids
        ).values_list("plan_id", "cycle", "currency", "amount_minor")
    }


def plan_names_of(plan_ids: set[int]) -> dict[int, str]:
    return {
        plan.pk: f"{plan.product.name} · {plan.name}"
        for plan in Plan.objects.filter(pk__in=plan_ids).select_related("product")
    }


@dataclass(slots=True)
class DueRow:
    """A claimed subscription, as plain values (model instances cost too much per row here)."""

    pk: int
    customer_id: int
    plan_id: int
    status: str
    cycle: str
    pending_cycle: str
    amount_minor: int
    currency: str
    tax_rate_bp: int  # shown with the subscription's price: the rate of its latest invoice
    billing_anchor: datetime
    current_period_end: datetime | None
    next_invoice_at: datetime
    cancel_at_period_end: bool
    quantity: int
    pending_plan_id: int | None
    pending_quantity: int | None
    company: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    region: str
    country: str
    email: str
    first_name: str
    last_name: str
    vat_number: str
    language: str


DUE_COLUMNS = (
    "pk",
    "customer_id",
    "plan_id",
    "status",
    "cycle",
    "pending_cycle",
    "amount_minor",
    "currency",
    "tax_rate_bp",
    "billing_anchor",
    "current_period_end",
    "next_invoice_at",
    "cancel_at_period_end",
    "quantity",
    "pending_plan_id",
    "pending_quantity",
)
ADDRESSEE_COLUMNS = (
    "company",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "region",
    "country",
    "user__email",
    "user__first_name",
    "user__last_name",
    "vat_number",
    "language",
)


def due_claim(due, batch_size: int) -> list[DueRow]:
    """Lock the next batch of due subscriptions (skipping rows another process holds), then read
    their customers' names and addresses: two small queries, each walking an index."""
    rows = list(
        due.select_for_update(skip_locked=True)
        .order_by("next_invoice_at", "pk")
        .values_list(*DUE_COLUMNS)[:batch_size]
    )
    addressees = {
        pk: values
        for pk, *values in Customer.objects.filter(pk__in={row[1] for row in rows}).values_list(
            "pk", *ADDRESSEE_COLUMNS
        )
    }
    return [DueRow(*row, *addressees[row[1]]) for row in rows]


@functools.lru_cache(maxsize=512)
def _country_name(code: str, language: str | None) -> str:
    """The country's name in `language` (part of the cache key: names are translated).
    django-countries looks each name up anew (about 50 us); a bill run asks for a few, often."""
    with translation.override(language):
        return str(countries.name(code))


def bill_to_of(due: DueRow) -> tuple[str, str, str]:
    """(name, address, reference) as Customer.display_name, .billing_address_lines and
    .reference give them, from plain values."""
    name = due.company or f"{due.first_name} {due.last_name}".strip() or due.email
    lines = address_lines(
        line1=due.address_line1,
        line2=due.address_line2,
        city=due.city,
        postal_code=due.postal_code,
        region=due.region,
        country=due.country,
        # In the customer's language, as the invoice is written (its PDF shows this address).
        country_name=lambda code: _country_name(code, due.language or get_language()),
    )
    address = "\n".join(lines)
    return name[:200], address, f"CUS-{due.customer_id:06d}"
