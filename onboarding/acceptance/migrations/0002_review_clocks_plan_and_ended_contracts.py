"""The acceptance reviews' next-action clocks, brought up to sla.0006:

- their `plan` (and `breached_plan` for a breached one) from the review's contract, whose plan
  the clock runs on (an amendment onto another plan re-terms it; the contract's plan is the
  latest record of it);
- a clock still running on a contract that ended before "contract.ended" was published
  (expired, renewed, cancelled other than by the review's action) is stopped at the moment the
  contract ended (acceptance.clocks.contract_ended_at: cancelled, when cancelled; expired, at
  its term's end; renewed, when it was last changed, at the latest its term's end), judged met
  or missed against its deadline, with the reason; a breach or warning stamped after that
  moment is withdrawn. Each is audited like the running code's (`sla.clock_stopped`,
  `sla.breach_withdrawn`), as unsealed entries the audit sealer chains.
"""

import datetime as dt

from django.db import migrations
from django.utils import timezone

ENDED_STATES = ("expired", "renewed", "cancelled")
STATE_LABELS = {"expired": "expired", "renewed": "renewed", "cancelled": "cancelled"}
REVIEW = "acceptance.review"


def _moment(value):
    return value.isoformat() if value is not None else None


def contract_ended_at(contract) -> dt.datetime:
    if contract.cancelled_at is not None:
        return contract.cancelled_at
    if contract.state == "expired":
        return contract.term_end
    return min(contract.term_end, contract.updated_at)


def _audit(AuditEntry, *, action, clock, changes, message):
    AuditEntry.objects.create(
        occurred_at=timezone.now(),
        action=action,
        outcome="success",
        object_type=REVIEW,
        object_id=str(clock.subject_id),
        customer_id=clock.customer_id,
        changes=changes,
        message=message,
    )


def review_clocks(apps, schema_editor):
    SlaClock = apps.get_model("sla", "SlaClock")
    Review = apps.get_model("acceptance", "Review")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    clocks = SlaClock.objects.filter(subject_type=REVIEW)
    reviews = {
        review.pk: review
        for review in Review.objects.filter(
            pk__in=clocks.values("subject_id")
        ).select_related("contract")
    }
    for clock in clocks.order_by("pk"):
        review = reviews.get(clock.subject_id)
        if review is None:
            continue
        contract = review.contract
        fields = []
        if clock.plan_id is None:
            clock.plan_id = contract.plan_id
            fields.append("plan")
        if clock.breached_at is not None and clock.breached_plan_id is None:
            clock.breached_plan_id = clock.plan_id
            fields.append("breached_plan")
        if clock.stopped_at is None and contract.state in ENDED_STATES:
            at = max(contract_ended_at(contract), clock.started_at)
            reason = (
                f"contract {contract.number or contract.pk} {STATE_LABELS[contract.state]}: "
                "no next action is owed"
            )
            withdrawn = {}
            if clock.breached_at is not None and clock.breached_at > at:
                withdrawn["breached_at"] = [_moment(clock.breached_at), None]
                clock.breached_at, clock.breached_plan_id = None, None
            if clock.warned_at is not None and clock.warned_at > at:
                withdrawn["warned_at"] = [_moment(clock.warned_at), None]
                clock.warned_at = None
            if clock.paused_since is not None:
                clock.pauses.filter(ended_at__isnull=True).update(ended_at=at)
                clock.paused_since = None
            clock.stopped_at, clock.stop_reason = at, reason
            if clock.due_at is None:
                clock.outcome = "no_terms"
            else:
                clock.outcome = "met" if at <= clock.due_at else "missed"
            fields += [
                "stopped_at",
                "stop_reason",
                "outcome",
                "breached_at",
                "breached_plan",
                "warned_at",
                "paused_since",
            ]
            if withdrawn:
                _audit(
                    AuditEntry,
                    action="sla.breach_withdrawn",
                    clock=clock,
                    changes={"kind": clock.kind, **withdrawn, "ended_at": _moment(at)},
                    message=reason,
                )
            _audit(
                AuditEntry,
                action="sla.clock_stopped",
                clock=clock,
                changes={
                    "kind": clock.kind,
                    "stopped_at": _moment(at),
                    "due_at": _moment(clock.due_at),
                    "outcome": clock.outcome,
                    "reason": reason,
                },
                message=reason,
            )
        if fields:
            clock.save(update_fields=sorted(set(fields)))


class Migration(migrations.Migration):
    dependencies = [
        ("acceptance", "0001_initial"),
        ("audit", "0005_truncate_and_head_triggers"),
        ("contracts", "0006_template_version_3"),
        ("sla", "0006_clock_plan_and_stop_reason"),
    ]

    operations = [migrations.RunPython(review_clocks, migrations.RunPython.noop)]
