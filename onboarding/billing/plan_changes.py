"""Changing a subscription's plan or quantity: upgrades now, downgrades at the period's end.

The rule is the net price per period (unit price x quantity, at the subscription's cycle):
- dearer (an upgrade, or more units): it takes effect now. One invoice carries two lines, the
  credit for the unused part of the old terms and the charge for the new terms over the rest
  of the period, each stating its dates to the second (proration.py for the figures), and is
  charged at once with the card on file. The subscription changes only when that invoice is
  paid (plan_settle.py): a declined payment voids the invoice and leaves the subscription as it
  was. Nothing to pay (rounding over a last few seconds): it changes at once.
- cheaper or the same price (a downgrade, or fewer units): it is scheduled on the subscription
  (pending_plan, pending_quantity) and the bill run applies it when the next period starts;
  until then the customer sees it and may cancel it.

Refused with a field error (PlanChangeRefused, a 422 in the API), nothing changed or charged:
the same plan and quantity, a quantity outside the plan's range or below the units in use, a
plan not sold in the subscription's cycle or currency, a subscription that is not live, that
stops at its period's end, or whose current period is not paid.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import User
from onboarding.alerts.failures import FailureNotice, failure_reported
from onboarding.audit.bulk import audit_rows_write
from onboarding.billing import events, tasks
from onboarding.billing.charging import attempt_reserve, charge_of, charges_run
from onboarding.billing.line_texts import proration_lines, units_label_lazy
from onboarding.billing.models import (
    LIVE_STATUSES,
    PAYABLE_STATUSES,
    AttemptSource,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentState,
    PlanChange,
    PlanChangeStatus,
    Subscription,
    SubscriptionStatus,
)
from onboarding.billing.numbering import INVOICE_SERIES, numbers_take
from onboarding.billing.plan_quotes import (  # the value types, for callers of this module
    PlanChangeOutcome,
    PlanChangeQuote,
    QuoteLine,
)
from onboarding.billing.plan_settle import plan_change_apply, units_label
from onboarding.billing.proration import Proration, prorate
from onboarding.billing.taxes import line_tax_minor, purchase_tax, tax_missing_refused
from onboarding.catalog.models import Plan
from onboarding.catalog.selectors import CurrencyNotSold, plan_price_for
from onboarding.core import clock
from onboarding.core.errors import Conflict, DomainError, NotFound
from onboarding.core.money import Money
from onboarding.notifications.services import notification_send
from onboarding.payments.selectors import payment_method_active
from onboarding.tax.selectors import TaxDecision
from onboarding.tax.services import tax_missing_alerts_resolve
from onboarding.worker.services import enqueue_on_commit

PLAN_CHANGE_FAILED = FailureNotice(
    "plan_change_failed",
    gettext_lazy(
        "Your plan could not be changed because of a problem on our side. Nothing was changed "
        "unless your account shows it, and our team has been told."
    ),
)
NOW, AT_PERIOD_END = "now", "period_end"


class PlanChangeRefused(DomainError):
    """A change the customer asked for that the rules refuse: nothing is changed or charged."""

    status_code = 422
    code = "invalid_change"


def change_tax(subscription: Subscription, at: datetime) -> TaxDecision:
    """The customer's tax on the day of the change, as a purchase that day would have it (a gap
    in the rates table refuses the change, in words for the customer)."""
    return purchase_tax(customer=subscription.customer, on=at.date())


def line_tax(net: Money, tax: TaxDecision) -> Money:
    """The tax of one invoice line at the decided rate (per line, rounded half up away from
    zero, so a credit's tax mirrors a charge's)."""
    return Money(line_tax_minor(net.amount_minor, tax.rate_bp, net.currency), net.currency)


# The units the data model can count. A seat is a person, and the people on record for a
# customer are its support contacts (accounts.Contact: who may call for billing, technical
# matters, escalation). Devices, sites and other units are recorded nowhere, so none of theirs
# is in use beyond what the plan's minimum asks.
PERSON_UNITS = frozenset({"seat", "user", "contact", "person", "agent"})


def units_in_use(*, subscription: Subscription, plan: Plan) -> int:
    """Units of `plan` the customer uses now: one per support contact when the plan counts
    people (seats), none for a unit the system does not record (devices, sites)."""
    if plan.unit_name.strip().lower() not in PERSON_UNITS:
        return 0
    return subscription.customer.contacts.count()


def _validate(subscription: Subscription, plan: Plan, quantity: int) -> int:
    """Refuse what the rules refuse; returns the plan's unit price at the subscription's cycle."""
    if subscription.status not in LIVE_STATUSES:
        raise PlanChangeRefused(
            gettext("A cancelled subscription cannot change plan."), field="plan"
        )
    if subscription.cancel_at_period_end:
        raise PlanChangeRefused(
            gettext("This subscription stops at the end of its period: it cannot change plan."),
            field="plan",
        )
    if not plan.is_active:
        raise PlanChangeRefused(gettext("That plan is no longer on sale."), field="plan")
    if plan.product_id != subscription.plan.product_id:
        # Another product's support is another contract (its own term, product age and
        # acceptance): it is bought, not changed into.
        raise PlanChangeRefused(
            gettext(
                "{plan} is support for {product}, not {current}: buy it as a plan of its own."
            ).format(
                plan=plan.name, product=plan.product.name, current=subscription.plan.product.name
            ),
            field="plan",
        )
    try:
        unit = plan_price_for(
            plan=plan, cycle=subscription.cycle, currency=subscription.currency
        ).amount_minor
    except (NotFound, CurrencyNotSold) as exc:
        raise PlanChangeRefused(exc.message, field="plan") from exc
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise PlanChangeRefused(gettext("Choose a quantity of 1 or more."), field="quantity")
    if quantity < plan.min_quantity or (plan.max_quantity and quantity > plan.max_quantity):
        sold = (
            gettext("{plan} is sold for {low} to {high} {units}.")
            if plan.max_quantity
            else gettext("{plan} is sold for {low} or more {units}.")
        )
        raise PlanChangeRefused(
            sold.format(
                plan=plan.name,
                low=plan.min_quantity,
                high=plan.max_quantity,
                units=plan.unit_name_plural,
            ),
            field="quantity",
        )
    if plan.pk == subscription.plan_id and quantity == subscription.quantity:
        raise PlanChangeRefused(
            gettext("That is already your plan and quantity: choose another plan or quantity."),
            field="plan",
        )
    in_use = units_in_use(subscription=subscription, plan=plan)
    if quantity < in_use:
        raise PlanChangeRefused(
            gettext(
                "You have {units} in use (your support contacts): choose at least {count}, or "
                "remove contacts first."
            ).format(units=units_label(plan, in_use), count=in_use),
            field="quantity",
        )
    if (
        plan.pk != subscription.plan_id
        and Subscription.objects.filter(
            customer_id=subscription.customer_id, plan=plan, status__in=LIVE_STATUSES
        ).exists()
    ):
        raise PlanChangeRefused(
            gettext("You already have {plan}.").format(plan=plan.name), field="plan"
        )
    return unit


def paid_for_current_terms(subscription: Subscription) -> int:
    """What was charged for the subscription's current terms in this period: the last applied
    change's charge line, else the period's invoice; refused unless the period is paid."""
    if subscription.status != SubscriptionStatus.ACTIVE or subscription.current_period_end is None:
        raise PlanChangeRefused(
            gettext("Your current period is not paid yet: pay its invoice first."), field="plan"
        )
    if clock.now() >= subscription.current_period_end:
        raise PlanChangeRefused(
            gettext("Your next period is being invoiced: try again in a few minutes."), field="plan"
        )
    if Invoice.objects.filter(subscription=subscription, status__in=PAYABLE_STATUSES).exists():
        raise PlanChangeRefused(
            gettext("An invoice of this subscription is open: pay it first."), field="plan"
        )
    change = (
        PlanChange.objects.filter(
            subscription=subscription,
            status=PlanChangeStatus.APPLIED,
            effective_at__gte=subscription.current_period_start,
            invoice__isnull=False,
        )
        .order_by("-effective_at", "-pk")
        .first()
    )
    if change is not None:
        line = change.invoice.lines.filter(amount_minor__gt=0).order_by("-position").first()
        return line.amount_minor if line else 0
    period_invoice = Invoice.objects.filter(
        subscription=subscription,
        period_start=subscription.current_period_start,
        status=InvoiceStatus.PAID,
    ).first()
    if period_invoice is None:
        raise PlanChangeRefused(
            gettext("Your current period is not paid yet: pay its invoice first."), field="plan"
        )
    return period_invoice.subtotal_minor - period_invoice.credited_minor


@tax_missing_refused
def plan_change_preview(
    *, subscription: Subscription, plan: Plan, quantity: int, at: datetime | None = None
) -> PlanChangeQuote:
    """What changing to `plan` x `quantity` would do and cost now; changes nothing. A gap in the
    rates table for the customer's country refuses it and alerts an admin."""
    return plan_change_quote(subscription=subscription, plan=plan, quantity=quantity, at=at)


def plan_change_quote(
    *, subscription: Subscription, plan: Plan, quantity: int, at: datetime | None = None
) -> PlanChangeQuote:
    """plan_change_preview without the admin alert, for the services that quote inside their
    transaction (the alert is raised once it has rolled back)."""
    unit = _validate(subscription, plan, quantity)
    old_total = subscription.amount_minor * subscription.quantity
    new_total = unit * quantity
    currency = subscription.currency
    if new_total <= old_total:
        return PlanChangeQuote(
            subscription=subscription,
            plan=plan,
            quantity=quantity,
            unit_amount=Money(unit, currency),
            when=AT_PERIOD_END,
            at=subscription.current_period_end or subscription.next_invoice_at,
        )
    paid = paid_for_current_terms(subscription)
    # Counted in whole seconds: the moment of the change is its second.
    at = (at or clock.now()).replace(microsecond=0)
    start, end = subscription.current_period_start, subscription.current_period_end
    at = min(max(at, start), end)
    p = prorate(
        period_start=start,
        period_end=end,
        at=at,
        old_total_minor=old_total,
        new_total_minor=new_total,
        old_paid_minor=paid,
    )
    # In the customer's language: the preview shows them, the invoice (in it too) keeps them.
    credit, charge = proration_lines(
        subscription.customer.language,
        old=(subscription.plan, subscription.quantity),
        new=(plan, quantity),
        at=at,
        end=end,
        proration=p,
    )
    return proration_quote(
        subscription,
        plan=plan,
        quantity=quantity,
        unit_minor=unit,
        at=at,
        proration=p,
        credit=(credit, end),
        charge=(charge, end),
    )


def proration_quote(
    subscription: Subscription,
    *,
    plan: Plan,
    quantity: int,
    unit_minor: int,
    at: datetime,
    proration: Proration,
    credit: tuple[str, datetime],
    charge: tuple[str, datetime],
    cycle: str = "",
    period_end: datetime | None = None,
) -> PlanChangeQuote:
    """A change that takes effect now at `at`: two lines, the credit for the old terms' unused
    part and the charge for the new terms (each a description and the end of its span), both
    taxed at the customer's rate on the day (a gap in the rates table refuses it)."""
    currency = subscription.currency
    tax = change_tax(subscription, at)
    lines = tuple(
        QuoteLine(
            description=description,
            amount=amount,
            tax=line_tax(amount, tax),
            period_start=at,
            period_end=until,
        )
        for amount, (description, until) in (
            (Money(-proration.credit_minor, currency), credit),
            (Money(proration.charge_minor, currency), charge),
        )
    )
    return PlanChangeQuote(
        subscription=subscription,
        plan=plan,
        quantity=quantity,
        unit_amount=Money(unit_minor, currency),
        when=NOW,
        at=at,
        lines=lines,
        cycle=cycle,
        period_end=period_end,
        tax_decision=tax,
    )


def subscription_lock(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan__product", "customer__user")
        .get(pk=subscription.pk)
    )


@tax_missing_refused
@failure_reported(PLAN_CHANGE_FAILED, target="subscription", context=("plan", "quantity"))
def subscription_change_plan(
    *, subscription: Subscription, plan: Plan, quantity: int, actor: User
) -> PlanChangeOutcome:
    """Move `subscription` to `plan` x `quantity`: now if dearer (paid at once with the card on
    file, applied once paid), else at the period's end. Returns what happened."""
    with transaction.atomic():
        locked = subscription_lock(subscription)
        plan = Plan.objects.select_related("product").get(pk=plan.pk)
        change_being_paid_refused(locked, field="plan")
        quote = plan_change_quote(subscription=locked, plan=plan, quantity=quantity)
        if quote.when == AT_PERIOD_END:
            return PlanChangeOutcome(quote=quote, subscription=_schedule(locked, quote, actor))
        if payment_method_active(customer=locked.customer) is None:
            raise PlanChangeRefused(
                gettext("Add a card before you upgrade."), field="payment_method"
            )
        change, invoice = change_invoice_issue(locked, quote, actor)
    return change_charged(quote=quote, change=change, invoice=invoice)


def change_being_paid_refused(subscription: Subscription, *, field: str) -> None:
    """Refuse a second change while one is waiting for its payment: the two would prorate the
    same period twice."""
    if PlanChange.objects.filter(
        subscription=subscription, status=PlanChangeStatus.AWAITING_PAYMENT
    ).exists():
        raise Conflict(gettext("A change is being paid: wait for its result."), field=field)


def change_charged(
    *, quote: PlanChangeQuote, change: PlanChange, invoice: Invoice
) -> PlanChangeOutcome:
    """After the change's invoice is committed: charge the card on file if it is to be charged
    now, and say what happened (the change applies once its invoice is paid, plan_settle.py)."""
    if invoice.payment_state == PaymentState.PROCESSING:
        charges_run([charge_of(invoice)])
    change.refresh_from_db()
    invoice.refresh_from_db()
    return PlanChangeOutcome(
        quote=quote,
        subscription=Subscription.objects.get(pk=change.subscription_id),
        change=change,
        invoice=invoice,
    )


def _schedule(subscription: Subscription, quote: PlanChangeQuote, actor: User) -> Subscription:
    previous = (subscription.plan.slug, subscription.quantity)
    same_plan = quote.plan.pk == subscription.plan_id
    subscription.pending_plan = None if same_plan else quote.plan
    subscription.pending_quantity = (
        None if quote.quantity == subscription.quantity else quote.quantity
    )
    subscription.save(update_fields=["pending_plan", "pending_quantity"])
    events.subscription_change_scheduled(
        actor=actor,
        subscription=subscription,
        previous=previous,
        scheduled=(quote.plan.slug, quote.quantity),
    )
    notification_send(
        recipient=subscription.customer.user,
        kind="change_scheduled",
        subject=gettext_lazy("Your plan change is scheduled"),
        template="billing/email/change_scheduled",
        context={
            "customer": subscription.customer,
            "subscription": subscription,
            "plan": quote.plan,
            "from_terms": units_label_lazy(subscription.plan, subscription.quantity),
            "to_terms": units_label_lazy(quote.plan, quote.quantity),  # the notice's language
            "site_url": settings.SITE_URL,
        },
        dedupe_key=(
            f"change-scheduled:{subscription.pk}:{quote.plan.pk}:{quote.quantity}:"
            f"{clock.now():%Y%m%d%H%M%S%f}"
        ),
    )
    return subscription


def change_invoice_issue(
    subscription: Subscription, quote: PlanChangeQuote, actor: User
) -> tuple[PlanChange, Invoice]:
    """The proration invoice, numbered, with its two lines and its first attempt reserved, and
    the change waiting for it; or, with nothing to pay, the change applied."""
    now = clock.now()
    customer = subscription.customer
    issue_date = now.date()
    total = quote.total
    charged = total.amount_minor > 0
    decision = quote.tax_decision or change_tax(subscription, now)
    [(seq, number)] = numbers_take(series=INVOICE_SERIES, year=issue_date.year, count=1)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                customer=customer,
                subscription=subscription,
                status=InvoiceStatus.OPEN if charged else InvoiceStatus.PAID,
                series=INVOICE_SERIES,
                number=number,
                number_year=issue_date.year,
                number_seq=seq,
                currency=subscription.currency,
                tax_rate_bp=decision.rate_bp,
                tax_country=decision.country,
                tax_name=decision.name,
                reverse_charge=decision.reverse_charge,
                tax_mention=decision.mention,
                seller_vat_number=settings.BILLING_SELLER_TAX_ID,
                subtotal_minor=quote.subtotal.amount_minor,
                tax_minor=quote.tax.amount_minor,
                total_minor=total.amount_minor,
                # The exact moment (its lines count from its whole second): an invoice is
                # unique per subscription and period start.
                period_start=max(now, quote.at),
                period_end=quote.period_end or subscription.current_period_end,
                issue_date=issue_date,
                due_date=issue_date + timedelta(days=settings.BILLING_PAYMENT_TERMS_DAYS),
                finalized_at=now,
                bill_to_name=customer.display_name[:200],
                bill_to_address="\n".join(customer.billing_address_lines),
                bill_to_email=customer.user.email,
                bill_to_vat_number=customer.vat_number,
                customer_reference=customer.reference,
                language=customer.language,
                paid_at=None if charged else now,
                followup_due=True,
            )
    except IntegrityError as exc:
        # Another invoice of this subscription starts at this very microsecond: the customer
        # tries again.
        raise Conflict(
            gettext("Another change was made at this very moment: try again."), field="plan"
        ) from exc

    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description[:255],
            quantity=1,
            unit_amount_minor=line.amount.amount_minor,
            amount_minor=line.amount.amount_minor,
            tax_rate_bp=decision.rate_bp,
            tax_minor=line.tax.amount_minor,
            period_start=line.period_start,
            period_end=line.period_end,
        )
        for position, line in enumerate(quote.lines, start=1)
    )
    audit_rows_write(
        [
            events.invoice_issued_row(
                invoice_id=invoice.pk,
                number=invoice.number,
                customer_id=invoice.customer_id,
                subscription_id=subscription.pk,
                total=invoice.total,
                period_start=invoice.period_start,
                period_end=invoice.period_end,
            )
        ]
    )
    change = PlanChange.objects.create(
        subscription=subscription,
        invoice=invoice,
        status=PlanChangeStatus.AWAITING_PAYMENT,
        from_plan=subscription.plan,
        to_plan=quote.plan,
        from_quantity=subscription.quantity,
        to_quantity=quote.quantity,
        to_amount_minor=quote.unit_amount.amount_minor,
        to_cycle=quote.cycle,
        period_end=quote.period_end,
        effective_at=quote.at,
        requested_by=actor,
    )
    events.subscription_plan_change_requested(
        actor=actor, subscription=subscription, change=change, invoice=invoice
    )
    if not decision.reverse_charge:  # a reverse charge reads no rate
        tax_missing_alerts_resolve(
            countries=[decision.country], because=f"invoice {invoice.number} was taxed"
        )
    if charged:
        attempt_reserve(invoice=invoice, source=AttemptSource.ISSUE, now=now)
    else:
        plan_change_apply(change=change, now=now)
    enqueue_on_commit(
        tasks.invoice_follow_up_task,
        key=f"invoice-follow-up:{invoice.pk}",
        kwargs={"invoice_id": invoice.pk},
    )
    return change, invoice


@transaction.atomic
def subscription_scheduled_change_cancel(
    *, subscription: Subscription, actor: User
) -> Subscription:
    """Drop the downgrade or quantity decrease scheduled for the period's end."""
    locked = subscription_lock(subscription)
    if not locked.has_scheduled_change:
        raise PlanChangeRefused(
            gettext("No change is scheduled: there is nothing to cancel."), field="plan"
        )
    plan = locked.pending_plan or locked.plan
    scheduled = (plan.slug, locked.pending_quantity or locked.quantity)
    locked.pending_plan, locked.pending_quantity = None, None
    locked.save(update_fields=["pending_plan", "pending_quantity"])
    events.subscription_scheduled_change_cancelled(
        actor=actor, subscription=locked, scheduled=scheduled
    )
    return locked
