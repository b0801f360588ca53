"""What makes a customer risky: the facts flags rest on (a card's expiry, a contract's term, an
overdue invoice) and the rules that raise them, reds first.

The full customer view (overview.py) flags one customer's rows through `risks_from`; the search
results (health.py) load the same kinds of rows for a page of customers at once and flag each
through it too, so both show the same flags for the same facts.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext

from onboarding.acceptance.selectors import acceptance_flags_for
from onboarding.accounts.models import Customer
from onboarding.alerts.models import AdminAlert
from onboarding.billing.models import (
    LIVE_STATUSES,
    PAYMENT_FAILED,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
)
from onboarding.contracts.models import IN_FORCE_STATES, Contract, ContractState
from onboarding.core.money import money_for_reader
from onboarding.core.templatetags.day_counts import days
from onboarding.journey.models import JourneyStep, StepState
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentDispute,
    PaymentMethod,
    PaymentStatus,
)
from onboarding.sysops.models import ServiceRequest, Severity

CARD_WARNING_DAYS = 30
CONTRACT_WARNING_DAYS = 60


@dataclass(frozen=True)
class RiskFlag:
    """A fact an engineer must see first. `level` is "red" (act now) or "yellow" (watch)."""

    code: str
    level: str
    message: str
    anchor: str = ""  # the section of the page that explains it

    @property
    def is_red(self) -> bool:
        return self.level == "red"

    @property
    def label(self) -> str:
        """A few words for a badge where the whole message does not fit (search results)."""
        label = RISK_LABELS.get(self.code)
        return str(label) if label is not None else self.code.replace("_", " ").capitalize()


# Lazy: a badge is written in the language of the page that shows it.
RISK_LABELS = {
    "acceptance_red": gettext_lazy("Acceptance red"),
    "acceptance_yellow": gettext_lazy("Acceptance yellow"),
    "payment_failed": gettext_lazy("Payment failed"),
    "payment_unknown": gettext_lazy("Payment unknown"),
    "payment_disputed": gettext_lazy("Payment disputed"),
    "payment_dispute_lost": gettext_lazy("Dispute lost"),
    "invoice_overdue": gettext_lazy("Invoice unpaid"),
    "no_card": gettext_lazy("No card"),
    "card_expired": gettext_lazy("Card expired"),
    "card_expiring": gettext_lazy("Card expiring"),
    "contract_expired": gettext_lazy("Contract expired"),
    "contract_expiring": gettext_lazy("Contract expiring"),
    "subscription_past_due": gettext_lazy("Past due"),
    "request_critical": gettext_lazy("Critical request"),
    "request_high": gettext_lazy("High request"),
    "request_sla_breached": gettext_lazy("SLA breached"),
    "journey_failed": gettext_lazy("Onboarding failed"),
    "open_alerts": gettext_lazy("Open alerts"),
}


@dataclass(frozen=True)
class CardFacts:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    expires_on: date
    days_left: int
    expired: bool
    expires_soon: bool


@dataclass(frozen=True)
class ContractLine:
    contract_id: int
    number: str
    status: str
    status_label: str
    product: str
    plan: str
    starts_on: date
    ends_on: date
    issued_on: date | None
    age_days: int | None  # since the contract was issued; None before it is
    days_left: int  # until the term ends; negative after
    expired: bool
    expiring_soon: bool
    row: Contract | None = None  # the contract itself, for pages that need more


def _day(value: date | datetime) -> str:
    """A day as every page writes it (DATE_FORMAT), a moment on its local day."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return date_format(value)


def card_facts(*, card: PaymentMethod | None, today: date) -> CardFacts | None:
    """The card's expiry as the flags and the page read it; None without a card."""
    if card is None:
        return None
    expires_on = card.expires_on
    return CardFacts(
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        expires_on=expires_on,
        days_left=(expires_on - today).days,
        expired=expires_on < today,
        expires_soon=card.expires_within(CARD_WARNING_DAYS, today=today),
    )


# What contract_line (and a ContractLine's row link) reads: load contracts with .only() of these.
CONTRACT_LINE_COLUMNS = (
    "id",
    "customer_id",
    "number",
    "state",
    "product_name",
    "plan_name",
    "term_start",
    "term_end",
    "issued_at",
)


def contract_line(*, contract: Contract, today: date) -> ContractLine:
    """A contract's term counted from `today`: days left, expired, expiring soon."""
    ends_on = contract.ends_on
    days_left = contract.days_left(today=today)
    in_force = contract.state in IN_FORCE_STATES
    return ContractLine(
        contract_id=contract.pk,
        number=contract.number or gettext("#%(id)s (not numbered)") % {"id": contract.pk},
        status=contract.state,
        status_label=contract.get_state_display(),
        product=contract.product_name,
        plan=contract.plan_name,
        starts_on=contract.term_start.date(),
        ends_on=ends_on,
        issued_on=contract.issued_on,
        age_days=contract.days_since_issue(today=today),
        days_left=days_left,
        expired=contract.state == ContractState.EXPIRED or (in_force and days_left < 0),
        expiring_soon=in_force and 0 <= days_left <= CONTRACT_WARNING_DAYS,
        row=contract,
    )


def invoice_is_overdue(*, invoice: Invoice, today: date) -> bool:
    """Open past its due date or after a failed charge, or given up on (uncollectible)."""
    if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        return True
    return invoice.status == InvoiceStatus.OPEN and (
        (invoice.due_date is not None and invoice.due_date < today)
        or invoice.payment_state in PAYMENT_FAILED
    )


def customer_acceptance_flags(
    *, customer: Customer, contracts: list[ContractLine]
) -> list[RiskFlag]:
    """One flag per contract in force whose acceptance needs someone: red or yellow ratings,
    requirements not captured or rated, a green acceptance nobody acknowledged in time."""
    flags = acceptance_flags_for(contract_ids=[line.contract_id for line in contracts])
    return [RiskFlag(f"acceptance_{f.level}", f.level, f.message, "contracts") for f in flags]


def _payment_risks(payments: list[PaymentAttempt], country: str) -> list[RiskFlag]:
    risks = []
    settled = [p for p in payments if p.status != PaymentStatus.PENDING]
    latest = settled[0] if settled else None
    if latest is not None and latest.status in (PaymentStatus.DECLINED, PaymentStatus.FAILED):
        reason = (latest.message or latest.code or latest.get_status_display()).rstrip(".")
        risks.append(
            RiskFlag(
                "payment_failed",
                "red",
                gettext("Last payment failed on %(day)s: %(amount)s (%(reason)s).")
                % {
                    "day": _day(latest.created_at),
                    "amount": money_for_reader(latest.amount, country=country),
                    "reason": reason,
                },
                "payments",
            )
        )
    if any(p.status == PaymentStatus.UNKNOWN for p in payments):
        risks.append(
            RiskFlag(
                "payment_unknown",
                "yellow",
                gettext("A payment's outcome is unknown; the reconciler is asking the gateway."),
                "payments",
            )
        )
    return risks


def _dispute_risks(disputes: list[PaymentDispute], country: str) -> list[RiskFlag]:
    """Each open dispute is red: evidence is due in Stripe's dashboard by a deadline. A lost one
    stays red for good (the bank took the money back: a mark on the customer); a won or
    withdrawn one no longer asks anything of SysOps. The Disputes history keeps them all."""
    risks = []
    for dispute in disputes:
        paid_for = (
            dispute.attempt.invoice_reference or dispute.attempt.description or gettext("a payment")
        )
        facts = {
            "amount": money_for_reader(dispute.amount, country=country),
            "paid_for": paid_for,
            "reason": dispute.reason or gettext("no reason given"),
        }
        if dispute.is_open:
            risks.append(
                RiskFlag(
                    "payment_disputed",
                    "red",
                    gettext(
                        "Payment disputed: %(amount)s on %(paid_for)s (%(reason)s), opened on "
                        "%(day)s."
                    )
                    % {**facts, "day": _day(dispute.opened_at)},
                    "disputes",
                )
            )
        elif dispute.outcome == "lost":
            risks.append(
                RiskFlag(
                    "payment_dispute_lost",
                    "red",
                    gettext(
                        "Dispute lost: the bank took back %(amount)s paid on %(paid_for)s "
                        "(%(reason)s), closed on %(day)s."
                    )
                    % {**facts, "day": _day(dispute.closed_at)},
                    "disputes",
                )
            )
    return risks


def _card_risks(
    card: CardFacts | None, subscriptions: list[Subscription], today: date
) -> list[RiskFlag]:
    live = any(s.status in LIVE_STATUSES for s in subscriptions)
    if card is None:
        if live:
            message = gettext("No card on file for a live subscription.")
            return [RiskFlag("no_card", "red", message, "card")]
        return []
    label = f"{card.brand.title()} •••• {card.last4}"
    if card.expired:
        expired = gettext("%(card)s expired on %(day)s.") % {
            "card": label,
            "day": _day(card.expires_on),
        }
        return [RiskFlag("card_expired", "red", expired, "card")]
    if card.expires_soon:
        return [
            RiskFlag(
                "card_expiring",
                "yellow",
                gettext("%(card)s expires on %(day)s (in %(days)s).")
                % {"card": label, "day": _day(card.expires_on), "days": days(card.days_left)},
                "card",
            )
        ]
    return []


def _invoice_risks(invoices: list[Invoice], today: date) -> list[RiskFlag]:
    overdue = [invoice for invoice in invoices if invoice_is_overdue(invoice=invoice, today=today)]
    if not overdue:
        return []
    # "Overdue" only for what is past its due date: an invoice whose charge failed before then
    # is unpaid, and says when it falls due.
    numbers = ", ".join(_invoice_state(invoice, today) for invoice in overdue[:3])
    if len(overdue) > 3:
        more = len(overdue) - 3
        message = ngettext(
            "Unpaid: %(invoices)s and %(more)s more.",
            "Unpaid: %(invoices)s and %(more)s more.",
            more,
        ) % {"invoices": numbers, "more": more}
    else:
        message = gettext("Unpaid: %(invoices)s.") % {"invoices": numbers}
    return [RiskFlag("invoice_overdue", "red", message, "invoices")]


def _invoice_state(invoice: Invoice, today: date) -> str:
    if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        return gettext("%(invoice)s (uncollectible)") % {"invoice": invoice}
    if invoice.due_date is not None and invoice.due_date < today:
        return gettext("%(invoice)s (overdue since %(day)s)") % {
            "invoice": invoice,
            "day": _day(invoice.due_date),
        }
    if invoice.due_date:
        return gettext("%(invoice)s (charge failed, due %(day)s)") % {
            "invoice": invoice,
            "day": _day(invoice.due_date),
        }
    return gettext("%(invoice)s (charge failed)") % {"invoice": invoice}


def _contract_risks(contracts: list[ContractLine]) -> list[RiskFlag]:
    risks = []
    for contract in contracts:
        if contract.expired:
            risks.append(
                RiskFlag(
                    "contract_expired",
                    "yellow",
                    gettext("Contract %(number)s expired on %(day)s.")
                    % {"number": contract.number, "day": _day(contract.ends_on)},
                    "contracts",
                )
            )
        elif contract.expiring_soon:
            risks.append(
                RiskFlag(
                    "contract_expiring",
                    "yellow",
                    gettext("Contract %(number)s expires on %(day)s (in %(days)s).")
                    % {
                        "number": contract.number,
                        "day": _day(contract.ends_on),
                        "days": days(contract.days_left),
                    },
                    "contracts",
                )
            )
    return risks


def _other_risks(
    subscriptions: list[Subscription],
    requests: list[ServiceRequest],
    journey: list[JourneyStep],
    alerts: list[AdminAlert],
) -> list[RiskFlag]:
    risks = [
        RiskFlag(
            "subscription_past_due",
            "red",
            gettext("%(plan)s is past due.") % {"plan": s.plan.name},
            "schedule",
        )
        for s in subscriptions
        if s.status == SubscriptionStatus.PAST_DUE
    ]
    for request in requests:
        summary = getattr(request, "sla_summary", None)  # set by the overview's request read
        if request.is_open and summary is not None and summary.state == "breached":
            risks.append(
                RiskFlag(
                    "request_sla_breached",
                    "red",
                    gettext("%(clock)s deadline missed: %(reference)s %(summary)s")
                    % {
                        "clock": summary.label,
                        "reference": request.reference,
                        "summary": request.summary,
                    },
                    "requests",
                )
            )
        if request.is_open and request.severity == Severity.CRITICAL:
            risks.append(
                RiskFlag(
                    "request_critical",
                    "red",
                    gettext("Critical request open: %(reference)s %(summary)s")
                    % {"reference": request.reference, "summary": request.summary},
                    "requests",
                )
            )
        elif request.is_open and request.severity == Severity.HIGH:
            risks.append(
                RiskFlag(
                    "request_high",
                    "yellow",
                    gettext("High-severity request open: %(reference)s %(summary)s")
                    % {"reference": request.reference, "summary": request.summary},
                    "requests",
                )
            )
    risks.extend(
        RiskFlag(
            "journey_failed",
            "yellow",
            _step_failed(step),
            "journey",
        )
        for step in journey
        if step.state == StepState.FAILED
    )
    if alerts:
        risks.append(
            RiskFlag(
                "open_alerts",
                "yellow",
                ngettext(
                    "%(count)s unresolved admin alert about this customer.",
                    "%(count)s unresolved admin alerts about this customer.",
                    len(alerts),
                )
                % {"count": len(alerts)},
                "alerts",
            )
        )
    return risks


def _step_failed(step: JourneyStep) -> str:
    if step.failure_reason:
        return gettext("Onboarding step failed: %(step)s (%(reason)s)") % {
            "step": step.get_step_display(),
            "reason": step.failure_reason,
        }
    return gettext("Onboarding step failed: %(step)s") % {"step": step.get_step_display()}


def risks_from(
    *,
    acceptance: list[RiskFlag],
    payments: list[PaymentAttempt],
    invoices: list[Invoice],
    card: CardFacts | None,
    subscriptions: list[Subscription],
    contracts: list[ContractLine],
    requests: list[ServiceRequest],
    journey: list[JourneyStep],
    alerts: list[AdminAlert],
    disputes: list[PaymentDispute],
    today: date,
    country: str = "",
) -> list[RiskFlag]:
    """One customer's risky facts, reds first: the full view and the search results (which
    load the same rows for a page of customers at once) both flag through here.

    Written in the active language (the reader's: the cached customer view keys its entry by
    it); money in English as it always read ("118.80 EUR"), in another language as the
    customer's `country` writes it ("118,80 €")."""
    risks = [
        *acceptance,
        *_payment_risks(payments, country),
        *_dispute_risks(disputes, country),
        *_invoice_risks(invoices, today),
        *_card_risks(card, subscriptions, today),
        *_contract_risks(contracts),
        *_other_risks(subscriptions, requests, journey, alerts),
    ]
    risks.sort(key=lambda risk: 0 if risk.is_red else 1)  # stable: reds first, order kept
    return risks
