"""When a score is recomputed: after a factor changed (the audit log followed), when a factor
changes by time alone (the periodic review), and after the settings changed (everyone).

Every change to a factor is a success some app audits with the customer's id, and the audit
sealer numbers committed entries in order (`seq`). The follower reads the sealed entries past
its cursor whose action starts with one of FACTOR_ACTION_PREFIXES and publishes one
`health.review` outbox message per customer and batch; the consumer (registered in apps.py,
transactional) recomputes. The cursor row is locked while a batch is read and published, so two
workers never publish the same batch twice nor skip one. health.* entries are never followed
(the score's own audit entries must not recompute it again).

A test customer's entry carries its clock's moment (audit `changes.simulated_at`): its message
is published under that moment, and the relay recomputes it there.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Max, Q

from onboarding.accounts.models import Customer
from onboarding.alerts.services import admin_alert_raise
from onboarding.audit.models import AuditEntry, Outcome
from onboarding.core import clock
from onboarding.health.models import CustomerHealth, HealthFollowCursor
from onboarding.health.services import customer_health_recompute
from onboarding.notifications.registry import PermanentDeliveryError
from onboarding.notifications.services import outbox_publish

logger = logging.getLogger(__name__)

HEALTH_REVIEW_TOPIC = "health.review"

# The audited actions that can change a factor (docs/health.md, "Triggers").
FACTOR_ACTION_PREFIXES = (
    "invoice.",  # issued, paid, failed, action required, uncollectible, voided: payment, card
    "payment.",  # refunds
    "payment_method.",  # a card added, replaced, updated by the network: card
    "subscription.",  # cancel at period end, cancelled, past due: contract, payment
    "contract.",  # sent, acknowledged, renewed, cancelled: contract, acceptance
    "acceptance.",  # ratings and reviews: acceptance
    "service_request.",  # opened, severity or status changed: service
    "sla.clock",  # clocks started, stopped, breached: service
    "notification.delivered",  # a notice in the inbox: engagement
    "notification.read",  # a customer read one notice, or all (notification.read_all): engagement
    # A customer's sign-in (accounts/events.py gives it the customer id): engagement. The
    # prefix also matches auth.login_failed/_throttled/_refused: never successes, never followed.
    "auth.login",
    "customer.created",  # a new customer gets its first score
)
FOLLOW_BATCH = 500


@dataclass(frozen=True)
class FollowReport:
    entries: int  # factor changes read
    customers: int  # health.review messages published
    last_seq: int
    advanced: bool = True


def _relevant() -> Q:
    return reduce(or_, (Q(action__startswith=prefix) for prefix in FACTOR_ACTION_PREFIXES))


def _sealed_end() -> int:
    """The highest sealed seq (0 for an empty log)."""
    return AuditEntry.objects.aggregate(end=Max("seq"))["end"] or 0


def health_follow_start() -> HealthFollowCursor:
    """The follower's cursor, placed at the end of the sealed log if it has none yet: a first
    run (a deploy onto an existing database) does not re-read the whole log. What was sealed
    before is scored by `manage.py health_recompute` (health_recompute_all places the cursor
    first, so a change after it is followed and one before it is in the recompute)."""
    cursor, _created = HealthFollowCursor.objects.get_or_create(
        id=HealthFollowCursor.SINGLETON_ID, defaults={"last_seq": _sealed_end()}
    )
    return cursor


def _cursor() -> HealthFollowCursor:
    health_follow_start()
    return HealthFollowCursor.objects.select_for_update().get(id=HealthFollowCursor.SINGLETON_ID)


def _stamp(changes) -> dict | None:
    """The test clock moment an entry was written at, as an outbox stamp (None: real time)."""
    if not isinstance(changes, dict) or not changes.get("test_clock_id"):
        return None
    return {"id": changes["test_clock_id"], "at": changes["simulated_at"]}


def health_follow_batch(*, batch_size: int = FOLLOW_BATCH) -> FollowReport:
    """Read one batch of sealed entries past the cursor; publish one health.review per customer
    whose factors they changed; move the cursor to the batch's end."""
    with transaction.atomic():
        cursor = _cursor()
        sealed = AuditEntry.objects.filter(seq__gt=cursor.last_seq)
        in_order = sealed.order_by("seq").values_list("seq", flat=True)
        last_seq = in_order[batch_size - 1 : batch_size].first()
        if last_seq is None:
            last_seq = sealed.order_by("-seq").values_list("seq", flat=True).first()
        if last_seq is None:
            return FollowReport(entries=0, customers=0, last_seq=cursor.last_seq, advanced=False)
        entries = list(
            sealed.filter(
                _relevant(),
                seq__lte=last_seq,
                customer_id__isnull=False,
                outcome=Outcome.SUCCESS,
            )
            .exclude(action__startswith="health.")
            .order_by("seq")
            .values("customer_id", "changes")
        )
        # The latest entry of each customer names the moment (a test clock's) to recompute at.
        latest = {entry["customer_id"]: entry["changes"] for entry in entries}
        for customer_id, changes in latest.items():
            with clock.simulated_from(_stamp(changes)):
                outbox_publish(
                    topic=HEALTH_REVIEW_TOPIC,
                    payload={"customer_id": customer_id},
                    dedupe_key=f"health-review:{customer_id}:{last_seq}",
                )
        cursor.last_seq = last_seq
        cursor.save(update_fields=["last_seq", "updated_at"])
    return FollowReport(entries=len(entries), customers=len(latest), last_seq=last_seq)


def health_follow(*, batch_size: int = FOLLOW_BATCH, max_batches: int = 20) -> FollowReport:
    """Follow the audit log up to its sealed end (at most `max_batches` batches a call)."""
    entries = customers = 0
    last_seq = 0
    for _ in range(max_batches):
        report = health_follow_batch(batch_size=batch_size)
        entries += report.entries
        customers += report.customers
        last_seq = report.last_seq
        if not report.advanced:
            break
    return FollowReport(entries=entries, customers=customers, last_seq=last_seq)


def health_review_handle(message, batch) -> None:
    """Consumer of health.review: recompute the customer's score (at the message's test clock
    moment, under which the relay calls it). A customer gone since is nothing to do."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    try:
        customer_id = int(payload["customer_id"])
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentDeliveryError(f"malformed health.review event: {error}") from error
    if not Customer.objects.filter(pk=customer_id).exists():
        return
    # No `now`: under the message's stamp it is the stamped moment; without one a test
    # customer (changed by staff in real time) is still scored at its clock's time.
    customer_health_recompute(customer_id=customer_id)


def _recompute_reported(customer_id: int, now: dt.datetime | None) -> bool:
    """Recompute one customer; a failure is logged and alerted, and the others go on."""
    try:
        customer_health_recompute(customer_id=customer_id, now=now)
    except Exception as error:
        logger.exception("Health recompute failed", extra={"customer_id": customer_id})
        admin_alert_raise(
            reason="health_recompute_failed",
            message=f"The health score of customer {customer_id} could not be recomputed: "
            f"{type(error).__name__}: {error}",
            object_type="accounts.customer",
            object_id=str(customer_id),
        )
        return False
    return True


def health_reviews_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Recompute the scores whose review_at has come (a factor changed by time alone), in
    scope (real customers in real time, a test clock's own in its step); returns how many."""
    now = now or clock.now()
    due = list(
        CustomerHealth.objects.filter(review_at__lte=now)
        .filter(clock.customer_scope("customer"))
        .order_by("review_at", "customer_id")
        .values_list("customer_id", flat=True)[:limit]
    )
    return sum(_recompute_reported(customer_id, now) for customer_id in due)


def health_rescore_batch(*, after_id: int = 0, batch_size: int = 200) -> int | None:
    """Recompute the next `batch_size` customers after id `after_id` (each at its own time: a
    test customer at its clock's); returns the last id done, None when none were left."""
    ids = list(
        Customer.objects.filter(pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    for customer_id in ids:
        _recompute_reported(customer_id, None)
    return ids[-1] if ids else None


def health_recompute_all(
    *, customer_ids: list[int] | None = None, on_progress=None, batch_size: int = 200
) -> tuple[int, int]:
    """Recompute `customer_ids` (default: every customer), each at its own time; calls
    `on_progress(done, total)` after each batch. Returns (recomputed, failed). Scoring everyone
    places the follower's cursor first (health_follow_start), if it has none."""
    if customer_ids is None:
        health_follow_start()
    customers = Customer.objects.order_by("pk")
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    total = customers.count()
    done = failed = 0
    after_id = 0
    while True:
        ids = list(customers.filter(pk__gt=after_id).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        for customer_id in ids:
            if _recompute_reported(customer_id, None):
                done += 1
            else:
                failed += 1
        after_id = ids[-1]
        if on_progress is not None:
            on_progress(done + failed, total)
    return done, failed
