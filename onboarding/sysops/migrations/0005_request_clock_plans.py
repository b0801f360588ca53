"""Backfill the plan of the request clocks started before sla.0006 recorded it.

A clock now keeps the plan whose terms it runs on (`plan`, set at its start and re-term) and the
plan in force for it when it was breached (`breached_plan`); the breach report counts it under
them (docs/sla.md, "The breach report"). For older clocks the best record is billing's: the plan
changes applied to the request's subscription (`billing.PlanChange`, status applied, at
`decided_at`). The plan in force at a moment is the plan the last change applied by then moved
to, else the plan the first later change moved from, else the subscription's plan. A change
made by the bill run at a period's end leaves no such row (only the subscription's plan
changes), so across one of those the subscription's current plan is the best there is.

`plan` is read at the clock's start (a request clock's terms are set when it opens; a later
severity change re-reads the subscription's plan, which this cannot see), `breached_plan` at
its breach. Clocks whose plan is already recorded are left as they are.
"""

from django.db import migrations

BATCH = 500


def plan_at(changes, current_plan_id, moment):
    """The plan in force at `moment`, given the applied changes [(decided_at, from, to)]
    sorted by when they were applied."""
    if moment is None:
        return current_plan_id
    in_force = None
    for decided_at, _from_plan, to_plan in changes:
        if decided_at <= moment:
            in_force = to_plan
    if in_force is not None:
        return in_force
    return changes[0][1] if changes else current_plan_id


def request_clock_plans(apps, schema_editor):
    SlaClock = apps.get_model("sla", "SlaClock")
    ServiceRequest = apps.get_model("sysops", "ServiceRequest")
    PlanChange = apps.get_model("billing", "PlanChange")
    clocks = SlaClock.objects.filter(subject_type="sysops.servicerequest", plan__isnull=True)
    pending = list(
        clocks.order_by("pk").values_list("pk", "subject_id", "started_at", "breached_at")
    )
    if not pending:
        return
    requests = dict(
        ServiceRequest.objects.filter(pk__in={row[1] for row in pending}).values_list(
            "pk", "subscription_id"
        )
    )
    subscriptions = dict(
        apps.get_model("billing", "Subscription")
        .objects.filter(pk__in=set(requests.values()))
        .values_list("pk", "plan_id")
    )
    history = {}
    for subscription_id, decided_at, from_plan, to_plan in (
        PlanChange.objects.filter(
            subscription_id__in=subscriptions, status="applied", decided_at__isnull=False
        )
        .order_by("decided_at", "pk")
        .values_list("subscription_id", "decided_at", "from_plan_id", "to_plan_id")
    ):
        history.setdefault(subscription_id, []).append((decided_at, from_plan, to_plan))
    updated = []
    for pk, request_id, started_at, breached_at in pending:
        subscription_id = requests.get(request_id)
        if subscription_id is None:
            continue  # the request is gone: nothing to read the plan from
        changes, current = history.get(subscription_id, []), subscriptions[subscription_id]
        clock = SlaClock(pk=pk)
        clock.plan_id = plan_at(changes, current, started_at)
        clock.breached_plan_id = (
            plan_at(changes, current, breached_at) if breached_at is not None else None
        )
        updated.append(clock)
    SlaClock.objects.bulk_update(updated, ["plan", "breached_plan"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_dunning_hold"),
        ("sla", "0006_clock_plan_and_stop_reason"),
        ("sysops", "0004_service_credits"),
    ]

    operations = [migrations.RunPython(request_clock_plans, migrations.RunPython.noop)]
