"""The whole journey's plan and seat changes (test_whole_journey.py): the higher plan the
customer moves to, and the steps that drive the plan-change page in the browser and check
what each change leaves behind (the proration invoice, paid; the subscription; the contract
amended). Kept apart so the journey reads as the story."""

import re

from playwright.sync_api import expect

from onboarding.acceptance.models import RequirementTemplate
from onboarding.billing.models import Invoice, InvoiceStatus, PlanChange, Subscription
from onboarding.catalog.models import Plan, Tier
from onboarding.contracts.models import Contract, ContractState
from onboarding.payments.models import PaymentMethodStatus, PaymentStatus
from tests.factories import plan_with_prices
from tests.waiting import wait_until

HIGHER = "enterprise-care"
HIGHER_ANNUAL = 299000  # EUR cents per seat and year; Business Care is 990.00 for one seat
MAX_SEATS = 25
ON_CALL = "24/7 on-call engineer"


def higher_plan() -> Plan:
    """Enterprise Care: dearer than Business Care, sold per seat (1 to MAX_SEATS), with a
    standard requirement of its own that SysOps must rate once a contract moves onto it."""
    plan = plan_with_prices(HIGHER, monthly=29900, quarterly=79900, annual=HIGHER_ANNUAL)
    Plan.objects.filter(pk=plan.pk).update(
        tier=Tier.ENTERPRISE,
        summary="Round-the-clock support",
        response_time_hours=1,
        sort_order=1,
        unit_name="seat",
        unit_name_plural="seats",
        min_quantity=1,
        max_quantity=MAX_SEATS,
    )
    RequirementTemplate.objects.create(
        plan=plan,
        title=ON_CALL,
        criteria="A named engineer answers the phone within an hour, day and night",
        position=0,
    )
    plan.refresh_from_db()
    return plan


def open_plan_change(page) -> None:
    """From the account page to the plan-change page, as the customer finds it."""
    page.goto("/account/")
    page.get_by_role("link", name="Change plan or quantity").click()
    page.get_by_role("heading", name="Change plan or quantity").wait_for()


def preview(page, *, plan: str | None = None, seats: int | None = None):
    """Choose on the plan-change page and preview. Returns the two preview lines' texts (the
    credit, then the charge)."""
    if plan is not None:
        page.select_option("#id_plan", plan)
    if seats is not None:
        page.fill("#id_quantity", str(seats))
    page.get_by_role("button", name="See what it costs", exact=True).click()
    rows = page.locator("[data-preview=now] tbody tr")
    expect(rows).to_have_count(2)
    return [rows.nth(0).inner_text(), rows.nth(1).inner_text()]


def confirm(page) -> None:
    page.get_by_role("button", name=re.compile("^Confirm and pay")).click()
    page.wait_for_url("**/account/")
    # Paid at once with the card on file, or still being processed by the gateway.
    page.get_by_text(re.compile("The plan is now|The payment is being processed")).wait_for()


def change_settled(
    background_work, subscription: Subscription, *, to_quantity: int
) -> tuple[PlanChange, Invoice]:
    """Wait for the change to `to_quantity` to be paid and applied; its change and invoice."""

    def settled():
        background_work()
        change = (
            PlanChange.objects.filter(subscription=subscription, to_quantity=to_quantity)
            .select_related("invoice")
            .order_by("-pk")
            .first()
        )
        if change is not None and change.invoice.status == InvoiceStatus.PAID:
            return change
        return None

    change = wait_until(settled, timeout=30, what=f"the change to {to_quantity} to be paid")
    return change, change.invoice


def assert_prorated(invoice: Invoice, *, old_total: int, new_total: int, sub) -> None:
    """Two lines over the same rest of the period: the credit for the old terms' unused part
    (rounded up) and the charge for the new terms over it (rounded down), each within a cent
    of the share of the period left; taxed per line; the invoice adds them up."""
    credit, charge = invoice.lines.order_by("position")
    assert credit.description.startswith("Unused time on")
    assert charge.description.startswith("Remaining time on")
    assert credit.period_start == charge.period_start and credit.period_end == charge.period_end
    assert charge.period_end == sub.current_period_end
    left = (charge.period_end - charge.period_start).total_seconds()
    whole = (sub.current_period_end - sub.current_period_start).total_seconds()
    assert abs(-credit.amount_minor - old_total * left / whole) <= 1
    assert abs(charge.amount_minor - new_total * left / whole) <= 1
    assert credit.amount_minor < 0 < charge.amount_minor
    assert invoice.subtotal_minor == credit.amount_minor + charge.amount_minor
    assert invoice.tax_minor == credit.tax_minor + charge.tax_minor
    assert invoice.total_minor == invoice.subtotal_minor + invoice.tax_minor > 0


def paid_with_card_on_file(invoice: Invoice) -> None:
    """One successful charge of the invoice's total, on the customer's active card."""
    [attempt] = invoice.customer.payment_attempts.filter(invoice_reference=invoice.number)
    assert attempt.status == PaymentStatus.SUCCEEDED
    assert (attempt.amount_minor, attempt.currency) == (invoice.total_minor, invoice.currency)
    assert attempt.payment_method.status == PaymentMethodStatus.ACTIVE


def show_invoice(page, invoice: Invoice) -> None:
    """The customer opens the invoice from their list: its two proration lines, paid."""
    page.get_by_role("link", name="Invoices").first.click()
    page.get_by_role("link", name=invoice.number).click()
    lines = page.locator("#invoice table.invoice-lines tbody tr")
    expect(lines).to_have_count(2)
    texts = lines.all_inner_texts()
    assert [t.split(" ", 3)[:3] for t in texts] == [
        ["Unused", "time", "on"],
        ["Remaining", "time", "on"],
    ]
    expect(page.locator("#invoice th", has_text="Paid")).to_have_count(1)


def amended(background_work, contract: Contract, *, version: int) -> Contract:
    """Wait for the contract's amendment `version` to be delivered (sent, to acknowledge)."""

    def delivered():
        background_work()
        found = Contract.objects.get(pk=contract.pk)
        if found.document_version_wanted == version and found.state == ContractState.SENT:
            return found
        return None

    return wait_until(delivered, timeout=30, what=f"contract version {version} to be delivered")
