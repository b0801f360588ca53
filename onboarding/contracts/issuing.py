"""Issuing contracts: the draft for one term, its gap-free number, and the first contract of a
subscription, issued once however often it is asked for.

Billing announces a subscription's first paid invoice (subscribers.py queues the issue); the
periodic sweep (contracts_issue_missing) queues any first contract that is due and missing.
Issuing queues the document's generation (documents.py).
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from onboarding.accounts.models import User
from onboarding.billing.models import LIVE_STATUSES, Subscription, SubscriptionStatus
from onboarding.billing.periods import add_months
from onboarding.billing.taxes import customer_tax

# tasks.py imports this module and documents.py, which import tasks.py to queue its tasks:
# the modules of that loop import each other whole, so any of them may be imported first.
from onboarding.contracts import documents
from onboarding.contracts import tasks as contract_tasks
from onboarding.contracts.events import contract_issued
from onboarding.contracts.models import Contract, ContractSequence, ContractState
from onboarding.contracts.transitions import contract_move
from onboarding.core import clock
from onboarding.core.errors import Conflict
from onboarding.tax.selectors import TaxDecision, TaxRateMissing
from onboarding.worker.services import task_enqueue_once


def service_terms_of(subscription: Subscription, *, language: str) -> dict:
    """The plan's terms as the contract states them, its prose in the contract's `language`
    (the catalogue's translation, else English): the contract page and PDF show this snapshot,
    so a later edit of the catalogue never rewrites a signed contract."""
    plan = subscription.plan
    return {
        "tier": plan.tier,
        "summary": plan.text("summary", language),
        "response_time_hours": plan.response_time_hours,
        "includes": plan.include_lines_in(language),
        "product_description": plan.product.text("description", language),
    }


def contract_draft_create(
    *, subscription: Subscription, term_index: int, term_start: datetime, previous: Contract | None
) -> Contract | None:
    """Insert the draft for one term; None if that term's contract already exists."""
    plan = subscription.plan
    term_months = max(1, plan.term_months)
    # The price's tax as invoices take it: the customer's country and VAT number on the day the
    # contract is drawn up. A gap in the rates table (alerted by billing, which invoices nothing
    # meanwhile) leaves the rate decided at purchase by the same rule.
    customer = subscription.customer
    country = str(customer.country or "")
    try:
        decision = customer_tax(customer=customer, on=clock.now().date())
    except TaxRateMissing:
        decision = TaxDecision(rate_bp=subscription.tax_rate_bp, country=country)
    try:
        with transaction.atomic():
            return Contract.objects.create(
                customer=subscription.customer,
                subscription=subscription,
                plan=plan,
                term_index=term_index,
                previous=previous,
                term_start=term_start,
                term_end=add_months(term_start, term_months),
                term_months=term_months,
                cycle=subscription.cycle,
                amount_minor=subscription.price.amount_minor,  # unit price x quantity
                currency=subscription.currency,
                tax_rate_bp=decision.rate_bp,
                tax_country=decision.country or country,
                tax_name=decision.name,
                reverse_charge=decision.reverse_charge,
                customer_vat_number=customer.vat_number or "",
                language=customer.language,
                seller_vat_number=settings.BILLING_SELLER_TAX_ID,
                product_name=plan.product.name,
                plan_name=plan.name,
                service_terms=service_terms_of(subscription, language=customer.language),
            )
    except IntegrityError:
        # A concurrent run created this term's contract first (one contract per term).
        return None


def contract_number_take(*, year: int) -> str:
    """The next number of `year` (CTR-2026-000001), gap-free: the year's sequence row stays
    locked until the caller's transaction ends, and a rollback gives the number back."""
    ContractSequence.objects.get_or_create(year=year)
    sequence = ContractSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"CTR-{year}-{sequence.last_number:06d}"


def contract_issue(*, contract: Contract, actor: User | None) -> None:
    """Draft -> issued: number it, want document version 1, queue the generation. Call it
    inside the transaction that created the draft."""
    now = clock.now()
    states = contract_move(contract=contract, state=ContractState.ISSUED)
    contract.number = contract_number_take(year=now.year)
    contract.issued_at = now
    contract.document_version_wanted = 1
    contract.save(update_fields=["state", "number", "issued_at", "document_version_wanted"])
    contract_issued(actor=actor, contract=contract, states=states)
    documents.document_generation_enqueue(contract=contract)


@transaction.atomic
def contract_issue_for_subscription(*, subscription: Subscription) -> Contract:
    """The contract for the subscription's first term: issued once, whoever asks how often.

    The term counts from the subscription's billing anchor (when it was bought), the same day
    its billing periods count from. The PDF is generated in the background; until it exists the
    customer sees the contract as pending.
    """
    existing = Contract.objects.filter(subscription_id=subscription.pk, term_index=1).first()
    if existing is not None:
        return existing
    subscription = Subscription.objects.select_related("customer", "plan__product").get(
        pk=subscription.pk
    )
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise Conflict(gettext("A cancelled subscription gets no contract."))
    contract = contract_draft_create(
        subscription=subscription,
        term_index=1,
        term_start=subscription.billing_anchor,
        previous=None,
    )
    if contract is None:
        return Contract.objects.get(subscription_id=subscription.pk, term_index=1)
    contract_issue(contract=contract, actor=None)
    return contract


def issue_task_key(subscription_id: int) -> str:
    """The task_enqueue_once key of a subscription's first issue; the subscriber of billing's
    first paid invoice and the periodic sweep use the same key, so the two never queue it
    twice."""
    return f"contract-issue:{subscription_id}"


def subscriptions_due_a_contract(*, limit: int = 200) -> list[int]:
    """Subscriptions that CONTRACT_ISSUE_ON says should have a first contract, and have none."""
    due = Subscription.objects.filter(clock.customer_scope("customer"), status__in=LIVE_STATUSES)
    if settings.CONTRACT_ISSUE_ON == "first_payment":
        due = due.filter(first_paid_at__isnull=False)  # billing stamps the first payment
    return list(
        due.exclude(contracts__term_index=1).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def contracts_issue_missing(*, limit: int = 200) -> int:
    """Queue the issue of every first contract that is due and missing; returns how many.

    A safety net under the first-paid-invoice subscriber (and the whole trigger when
    CONTRACT_ISSUE_ON is "purchase"): task_enqueue_once keys make a second sweep queue nothing
    new.
    """
    queued = 0
    for subscription_id in subscriptions_due_a_contract(limit=limit):
        result = task_enqueue_once(
            contract_tasks.contract_issue_for_subscription_task,
            key=issue_task_key(subscription_id),
            kwargs={"subscription_id": subscription_id},
        )
        queued += int(result is not None)
    return queued
