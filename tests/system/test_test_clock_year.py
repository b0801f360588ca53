"""A test customer driven through 13 months by advancing its test clock (issue 18).

Bought on an annual plan with a good card; the contract acknowledged; a requirement rated Red
that no manager acknowledges; a decline card put on file before the anniversary. Advancing the
clock month by month must produce exactly: the first invoice paid, the expiry reminders at 60,
30 and 7 days, the renewed contract, the renewal invoice declined and dunned (1, 3, 5, 7 days)
to uncollectible, one red risk event at the acknowledgement deadline, and a webhook for each of
these carrying its simulated time; nothing for a real customer standing beside it.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from onboarding.acceptance.models import Rating
from onboarding.acceptance.requirements import requirement_add
from onboarding.accounts.models import TestClockStatus
from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_seal_pending
from onboarding.billing.models import Invoice, InvoiceStatus, Subscription
from onboarding.contracts.acknowledgement import contract_acknowledge
from onboarding.contracts.models import Contract, ContractReminder, ContractState
from onboarding.core import clock
from onboarding.core.roles import Role
from onboarding.notifications.models import Notification
from onboarding.risk.models import RiskEvent, RiskLevel, RiskType
from onboarding.testclocks.advancing import clock_run
from onboarding.testclocks.services import (
    ClockCustomerIn,
    clock_advance,
    clock_create,
    clock_customer_card_replace,
    clock_customer_create,
)
from onboarding.webhooks.delivery import webhooks_deliver_due
from onboarding.webhooks.dispatch import webhooks_dispatch
from onboarding.webhooks.services import endpoint_create
from tests.billing.conftest import bought, ready_customer
from tests.factories import plan_with_prices, staff_user
from tests.webhooks.receiver import Receiver

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
RENEWAL = datetime(2028, 1, 4, 9, 0, tzinfo=UTC)
DECLINE_CARD = "4000000000009995"  # kept on file, every charge declined (docs/payments.md)


def _advance(admin, test_clock, **how):
    clock_advance(actor=admin, clock_id=test_clock.pk, **how)
    test_clock = clock_run(clock_id=test_clock.pk)
    assert test_clock.status == TestClockStatus.READY, test_clock.failure
    return test_clock


def _webhooks_delivered(receiver: Receiver, customer_id: int) -> list[dict]:
    audit_seal_pending()
    while webhooks_dispatch():
        pass
    while webhooks_deliver_due():
        pass
    return [
        r.payload for r in receiver.verified() if r.payload["data"]["customer_id"] == customer_id
    ]


# Transactions commit, as in production: what a service queues on commit lands on the clock.
@pytest.mark.django_db(transaction=True)
def test_a_year_and_a_month_of_a_test_customer(redis_url, media):
    receiver = Receiver().start()
    try:
        _run(receiver)
    finally:
        receiver.release.set()
        receiver.stop()


def _run(receiver: Receiver) -> None:
    admin, sysops = staff_user(Role.ADMIN), staff_user(Role.SYSOPS)
    staff_user(Role.MANAGER)
    plan = plan_with_prices()
    created = endpoint_create(actor=admin, url=receiver.url)
    receiver.secrets.append(created.secret)
    # A real customer whose renewal falls inside the clock's year: never touched by it.
    real = ready_customer()
    real_due = clock.now().replace(microsecond=0) + timedelta(days=30)
    real_subscription = bought(real, plan, "monthly", anchor=real_due)

    test_clock = clock_create(actor=admin, name="a year", frozen_time=START)
    customer = clock_customer_create(
        actor=admin,
        clock_id=test_clock.pk,
        data=ClockCustomerIn(email="year@example.test", plan_slug=plan.slug, cycle="annual"),
    )
    first = Invoice.objects.get(customer=customer)
    assert (first.status, first.period_start, first.issue_date) == (
        InvoiceStatus.PAID,
        START,
        START.date(),
    )
    contract = Contract.objects.get(customer=customer)
    assert (contract.state, contract.term_start, contract.term_end) == (
        ContractState.SENT,
        START,
        RENEWAL,
    )
    with clock.simulated(test_clock.pk, START):
        contract_acknowledge(
            contract=contract,
            actor=customer.user,
            typed_name="Test Customer",
            document_sha256=contract.documents.latest("version").sha256,
            client_ip="127.0.0.1",
            user_agent="test",
        )
        # SysOps rate a requirement Red: a manager must acknowledge it within the hour.
        requirement_add(
            contract=contract,
            actor=sysops,
            title="On-call escalation",
            criteria="A named on-call engineer",
            rating=Rating.RED,
        )

    test_clock = _advance(admin, test_clock, amount=11, unit="months")
    contract.refresh_from_db()
    assert contract.state == ContractState.EXPIRING
    # 4 December 2027, 31 days before the end: the 60-day reminder only, so far.
    assert list(contract.reminders.values_list("days_before", flat=True)) == [60]

    clock_customer_card_replace(actor=admin, customer_id=customer.pk, card_number=DECLINE_CARD)
    test_clock = _advance(admin, test_clock, amount=2, unit="months")
    assert test_clock.frozen_time == datetime(2028, 2, 4, 9, 0, tzinfo=UTC)  # 13 months on

    # Invoices: the first paid; the renewal declined, retried on dunning's days, uncollectible.
    invoices = list(Invoice.objects.filter(customer=customer).order_by("pk"))
    assert [(i.status, i.period_start) for i in invoices] == [
        (InvoiceStatus.PAID, START),
        (InvoiceStatus.UNCOLLECTIBLE, RENEWAL),
    ]
    assert invoices[1].issue_date == RENEWAL.date()
    assert invoices[1].attempt_count == 5  # the renewal's charge + retries on days 1, 3, 5, 7
    declines = AuditEntry.objects.filter(customer_id=customer.pk, action="payment.declined")
    assert sorted(e.changes["simulated_at"] for e in declines) == [
        (RENEWAL + timedelta(days=d)).isoformat() for d in (0, 1, 3, 5, 7)
    ]
    assert Subscription.objects.get(customer=customer).status == "past_due"

    # Contracts: the first renewed at its end, the second term issued and sent.
    contracts = list(Contract.objects.filter(customer=customer).order_by("term_index"))
    assert [(c.term_index, c.state, c.term_start) for c in contracts] == [
        (1, ContractState.RENEWED, START),
        (2, ContractState.SENT, RENEWAL),
    ]
    reminders = ContractReminder.objects.filter(contract__customer=customer)
    assert sorted(reminders.values_list("contract_id", "days_before")) == [
        (contracts[0].pk, 7),
        (contracts[0].pk, 30),
        (contracts[0].pk, 60),
    ]
    reminded_at = AuditEntry.objects.filter(
        customer_id=customer.pk, action="contract.expiry_reminder_sent"
    ).values_list("changes", flat=True)
    assert sorted(c["simulated_at"] for c in reminded_at) == [
        (RENEWAL - timedelta(days=d)).isoformat() for d in (60, 30, 7)
    ]

    # Notices to the customer, each kind as many times as it should be.
    kinds = Counter(
        Notification.objects.filter(recipient=customer.user).values_list("kind", flat=True)
    )
    assert kinds == Counter(
        {
            "purchase_confirmed": 1,
            "invoice_issued": 2,
            "contract_ready": 2,
            "contract_document": 2,
            "contract_acknowledged": 1,
            "contract_expiry_reminder": 3,
            "payment_failed": 4,
        }
    )

    # One risk: the red acceptance nobody acknowledged, raised at its deadline (simulated).
    risks = list(RiskEvent.objects.filter(customer=customer))
    assert [(r.type, r.level) for r in risks] == [
        (RiskType.ACCEPTANCE_UNACKNOWLEDGED, RiskLevel.RED)
    ]
    assert risks[0].occurred_at == START + timedelta(seconds=3600)

    # The real customer: untouched (no invoice, its renewal date as it was).
    assert not Invoice.objects.filter(customer=real).exists()
    real_subscription.refresh_from_db()
    assert real_subscription.next_invoice_at == real_due
    assert not RiskEvent.objects.filter(customer=real).exists()

    # Webhooks: every event of the test customer, each with its simulated moment.
    events = _webhooks_delivered(receiver, customer.pk)
    types = Counter(e["type"] for e in events)
    assert types["invoice.issued"] == 2
    assert types["invoice.paid"] == 1
    assert types["payment.succeeded"] == 1
    assert types["payment.failed"] == 5
    assert types["invoice.uncollectible"] == 1
    assert types["contract.issued"] == 2
    assert types["contract.sent"] == 2
    assert types["contract.renewed"] == 1
    assert types["contract.expiring"] == 3
    assert types["risk.raised"] == 1
    for absent in (
        "invoice.voided",
        "subscription.cancelled",
        "contract.cancelled",
        "refund.issued",
    ):
        assert types[absent] == 0
    assert all(e["data"]["test_clock"]["id"] == test_clock.pk for e in events)
    assert all(
        START
        <= datetime.fromisoformat(e["data"]["test_clock"]["simulated_at"])
        <= test_clock.frozen_time
        for e in events
    )
