"""The triggers: the follower turns sealed factor changes into health.review messages, the
relay's consumer recomputes; the periodic review recomputes what time alone changed; test
customers are scored at their clock's time."""

import datetime as dt

import pytest
from django.db.models import Max
from django.utils import timezone

from onboarding.accounts.models import Customer, TestClock
from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_seal_pending
from onboarding.billing.services import invoice_pay
from onboarding.core import clock
from onboarding.core.roles import Role
from onboarding.health.follow import (
    HEALTH_REVIEW_TOPIC,
    health_follow,
    health_rescore_batch,
    health_reviews_due,
)
from onboarding.health.models import CustomerHealth, CustomerHealthSnapshot, HealthFollowCursor
from onboarding.health.services import customer_health_recompute
from onboarding.notifications.models import OutboxMessage
from tests.factories import UserFactory
from tests.health.conftest import card_on_file, deliver_outbox, overdue_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _follower_from_the_start(db):
    """The follower has run since the log was empty: it reads what the fixtures recorded (a
    first run on an existing log starts at its end: test_a_first_run_starts_at_the_sealed_end)."""
    HealthFollowCursor.objects.create(last_seq=0)


def follow_all():
    """What the worker does: seal what was recorded, follow it, relay the messages."""
    audit_seal_pending()
    report = health_follow()
    deliver_outbox()
    return report


def score_of(contract) -> int:
    return CustomerHealth.objects.get(pk=contract.customer_id).score


def test_an_invoice_paid_is_followed_and_the_score_recomputed(contract):
    card_on_file(contract.customer)
    invoice = overdue_invoice(contract, days_late=34)
    follow_all()
    assert score_of(contract) == 70  # payment -30
    paid = invoice_pay(invoice=invoice, actor=contract.customer.user)
    assert paid.status == "paid"
    report = follow_all()
    assert report.customers == 1
    assert score_of(contract) == 100
    # Read once: following again publishes nothing more.
    assert follow_all().customers == 0
    assert OutboxMessage.objects.filter(topic=HEALTH_REVIEW_TOPIC).count() == 2


def test_the_scores_own_audit_entries_are_not_followed(contract):
    follow_all()
    before = OutboxMessage.objects.filter(topic=HEALTH_REVIEW_TOPIC).count()
    customer_health_recompute(customer_id=contract.customer_id, now=timezone.now())
    report = follow_all()  # reads health.band_changed, publishes nothing for it
    assert report.customers == 0
    assert OutboxMessage.objects.filter(topic=HEALTH_REVIEW_TOPIC).count() == before
    assert HealthFollowCursor.objects.get().last_seq > 0


def test_a_first_run_starts_at_the_sealed_end_and_follows_what_comes_after(contract):
    HealthFollowCursor.objects.all().delete()  # a deploy onto an existing database
    audit_seal_pending()
    end = AuditEntry.objects.aggregate(end=Max("seq"))["end"]
    assert end > 0
    first = follow_all()
    assert (first.entries, first.customers) == (0, 0)  # the old log is not read again
    assert HealthFollowCursor.objects.get().last_seq == end
    assert not CustomerHealth.objects.exists()  # the backfill is health_recompute's
    card_on_file(contract.customer)
    assert follow_all().customers == 1
    assert CustomerHealth.objects.filter(pk=contract.customer_id).exists()


def test_the_follower_reads_in_batches_and_never_skips(contract):
    from tests.acceptance.conftest import active_contract

    others = [active_contract(number=f"CTR-2026-00020{i}") for i in range(3)]
    audit_seal_pending()
    first = health_follow(batch_size=2, max_batches=1)
    assert first.entries <= 2
    rest = health_follow(batch_size=2)
    deliver_outbox()
    for each in [contract, *others]:
        assert CustomerHealth.objects.filter(pk=each.customer_id).exists()
    assert rest.last_seq == HealthFollowCursor.objects.get().last_seq


def test_the_periodic_review_recomputes_what_time_alone_changed(contract):
    now = timezone.now()
    invoice = overdue_invoice(contract, days_late=0)  # due today: not late yet
    health = customer_health_recompute(customer_id=contract.customer_id, now=now).health
    assert health.score == 81  # payment failed: 30% of 30 = 9; no card, 1 to pay: 10
    tomorrow = timezone.make_aware(
        dt.datetime.combine(invoice.due_date + dt.timedelta(days=1), dt.time.min)
    )
    assert health.review_at == tomorrow
    assert health_reviews_due(now=tomorrow - dt.timedelta(seconds=1)) == 0
    assert health_reviews_due(now=tomorrow) == 1
    health.refresh_from_db()
    assert health.score == 69  # a day late too: 70% of 30 = 21
    assert health.factors[0]["explanation"].startswith("1 invoice overdue by 1 day")


def test_a_test_customer_is_scored_at_its_clocks_time_and_reviewed_only_in_its_step(contract):
    frozen = timezone.now() + dt.timedelta(days=60)
    test_clock = TestClock.objects.create(name="Health", frozen_time=frozen)
    customer = contract.customer
    customer.test_clock = test_clock
    customer.save(update_fields=["test_clock"])
    health = customer_health_recompute(customer_id=customer.pk).health
    assert health.computed_at == frozen
    assert health.review_at is not None
    assert health_reviews_due(now=health.review_at) == 0  # real time: not its scope
    with clock.simulated(test_clock.pk, health.review_at):
        assert health_reviews_due(now=health.review_at) == 1


def test_a_test_customers_change_is_recomputed_at_the_clocks_moment(contract):
    frozen = timezone.now() + dt.timedelta(days=60)
    test_clock = TestClock.objects.create(name="Health", frozen_time=frozen)
    customer = contract.customer
    customer.test_clock = test_clock
    customer.save(update_fields=["test_clock"])
    follow_all()
    with clock.simulated(test_clock.pk, frozen):
        card_on_file(customer)  # audited under the clock
    follow_all()
    assert CustomerHealth.objects.get(pk=customer.pk).computed_at == frozen


def test_a_settings_rescore_batch_scores_everyone_after_an_id(contract):
    from tests.acceptance.conftest import active_contract

    other = active_contract(number="CTR-2026-000301")
    last = health_rescore_batch(after_id=0, batch_size=1)
    assert last == min(contract.customer_id, other.customer_id)
    assert health_rescore_batch(after_id=last, batch_size=5) == max(
        contract.customer_id, other.customer_id
    )
    assert CustomerHealth.objects.count() == 2


def test_a_test_clock_step_reviews_its_customers_at_the_steps_moment(contract):
    from onboarding.testclocks.stepping import clock_step

    frozen = timezone.now()
    test_clock = TestClock.objects.create(name="Health", frozen_time=frozen)
    customer = contract.customer
    customer.test_clock = test_clock
    customer.save(update_fields=["test_clock"])
    card_on_file(customer, exp_month=frozen.month, exp_year=frozen.year + 1)
    health = customer_health_recompute(customer_id=customer.pk).health
    assert health.score == 100
    # A year on, the card has expired: the step's review sees it.
    later = frozen + dt.timedelta(days=400)
    clock_step(clock_id=test_clock.pk, at=later)
    health.refresh_from_db()
    assert health.computed_at == later
    assert health.factors[4]["explanation"].startswith("Card expired on")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_followers_at_once_publish_each_change_once(require_postgres):
    from tests.acceptance.conftest import active_contract
    from tests.concurrency import run_together

    contracts = [active_contract(number=f"CTR-2026-00040{i}") for i in range(4)]
    audit_seal_pending()
    reports = run_together(2, lambda _i: health_follow(batch_size=3))
    published = OutboxMessage.objects.filter(topic=HEALTH_REVIEW_TOPIC)
    assert sum(r.customers for r in reports) == published.count()
    # Both read the log, neither read a batch the other did (the sum would exceed the rows).
    assert {m.payload["customer_id"] for m in published} == {c.customer_id for c in contracts}
    deliver_outbox()
    assert CustomerHealth.objects.count() == 4


def test_an_advance_recomputes_a_test_customer_at_the_moment_its_card_expires(admin_user):
    from onboarding.testclocks.advancing import clock_run
    from onboarding.testclocks.services import clock_advance

    def midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    # A card that expires at the end of a month some 40 days on; the clock starts at 10:00 two
    # days before the card's 29-days-left step, so its daily steps are never at midnight.
    later = timezone.localdate() + dt.timedelta(days=40)
    expires_on = (later.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1)
    frozen = midnight(expires_on - dt.timedelta(days=31)) + dt.timedelta(hours=10)
    test_clock = TestClock.objects.create(name="Health", frozen_time=frozen)
    customer = Customer.objects.get(user=UserFactory(role=Role.CUSTOMER))
    customer.test_clock = test_clock
    customer.save(update_fields=["test_clock"])
    with clock.simulated(test_clock.pk, frozen):
        card_on_file(customer, exp_month=expires_on.month, exp_year=expires_on.year)
    health = customer_health_recompute(customer_id=customer.pk).health
    assert health.factors[4]["cost"] == 0  # the card is valid for 31 days more
    expiring, expired = (
        midnight(expires_on - dt.timedelta(days=29)),
        midnight(expires_on + dt.timedelta(days=1)),
    )
    assert health.review_at == expiring

    clock_advance(actor=admin_user, clock_id=test_clock.pk, to=expired + dt.timedelta(hours=12))
    clock_run(clock_id=test_clock.pk)

    card_changes = {
        snapshot.computed_at: snapshot.factors[4]["explanation"]
        for snapshot in CustomerHealthSnapshot.objects.filter(customer=customer)
    }
    # Each change at its own midnight, not at the 10:00 step that follows it.
    assert card_changes[expiring] == "Card expires in 29 days"
    assert card_changes[expired].startswith("Card expired on")
    health.refresh_from_db()
    assert health.factors[4]["cost"] == 10


def test_a_customers_sign_in_is_followed_and_engagement_recomputed(client, customer):
    from tests.accounts.flows import sign_in

    customer.last_login = timezone.now() - dt.timedelta(days=45)
    customer.save(update_fields=["last_login"])
    follow_all()
    health = CustomerHealth.objects.get(pk=customer.pk)
    assert health.factors[5]["explanation"] == "Last signed in 45 days ago"
    assert health.factors[5]["cost"] == 2  # 40% of 5
    sign_in(client, customer.email)
    assert follow_all().customers == 1
    health.refresh_from_db()
    assert health.factors[5] == {
        "factor": "engagement",
        "cost": 0,
        "weight": 5,
        "explanation": "Signed in within 30 days",
        "parts": [{"code": "engagement_fine"}],
    }


def test_a_customer_reading_notices_is_followed_and_engagement_recomputed(customer, sysops):
    from onboarding.notifications.models import InboxMessage
    from onboarding.notifications.services import (
        inbox_mark_all_read,
        inbox_mark_read,
        notification_send,
    )

    for n in range(4):
        notification_send(
            recipient=customer,
            kind="test.notice",
            subject=f"Notice {n}",
            template="notifications/generic",
            context={"body": "Read me"},
            dedupe_key=f"engagement-{n}",
            channels=["in_app"],
        )
    deliver_outbox()
    follow_all()
    health = CustomerHealth.objects.get(pk=customer.pk)
    assert "4 notices unread" in health.factors[5]["explanation"]
    assert health.factors[5]["cost"] == 1
    first, second = InboxMessage.objects.filter(recipient=customer).order_by("pk")[:2]
    inbox_mark_read(user=customer, message_id=first.pk)
    inbox_mark_read(user=customer, message_id=first.pk)  # read already: nothing recorded
    inbox_mark_read(user=customer, message_id=second.pk)
    assert AuditEntry.objects.filter(action="notification.read").count() == 2
    assert follow_all().customers == 1
    health.refresh_from_db()
    assert "unread" not in health.factors[5]["explanation"] and health.factors[5]["cost"] == 0
    assert inbox_mark_all_read(user=customer) == 2
    entry = AuditEntry.objects.get(action="notification.read_all")
    assert entry.customer_id == customer.pk and entry.changes == {"count": 2}
    # A staff member's reads are audited without a customer: nothing to recompute.
    assert inbox_mark_all_read(user=sysops) == 0
    assert not AuditEntry.objects.filter(action__startswith="notification.read", actor=sysops)
