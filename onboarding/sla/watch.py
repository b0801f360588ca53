"""The periodic check of running clocks: the 80% warning and the breach, each once per clock.

`sla_clocks_check` runs in real time (sla/tasks.py, settings.WORKER_PERIODIC_TASKS) and in a
test clock's step (testclocks/stepping.py); `customer_scope("customer")` keeps each to its own
customers. Each warning and each breach is claimed by a conditional UPDATE of its stamp
(`warned_at`, `breached_at`) in the transaction that audits it and publishes it, so two workers
checking at once act once: the second's UPDATE finds the stamp set and changes nothing.

What the subject's owner does about it (tell the request's assignee, raise the risk event
against the contract) lives with the subject, above this app: it subscribes to the topics below
(sysops/sla_alerts.py). The message is written in the claiming transaction, so it exists if and
only if the clock was claimed, and it carries the test clock's stamp under a simulation.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from onboarding.alerts.services import admin_alert_raise
from onboarding.core import clock
from onboarding.notifications.services import outbox_publish
from onboarding.sla import events
from onboarding.sla.models import SlaClock

logger = logging.getLogger(__name__)

SLA_CLOCK_WARNED_TOPIC = "sla.clock_warned"
SLA_CLOCK_BREACHED_TOPIC = "sla.clock_breached"


@dataclass(frozen=True)
class CheckReport:
    warned: int
    breached: int


def _payload(sla_clock: SlaClock) -> dict:
    return {
        "clock_id": sla_clock.pk,
        "subject_type": sla_clock.subject_type,
        "subject_id": sla_clock.subject_id,
        "kind": sla_clock.kind,
        "due_at": sla_clock.due_at.isoformat(),
    }


def sla_clock_warn(*, clock_id: int, now: dt.datetime) -> bool:
    """Warn of one clock whose 80% moment has come, unless it was warned, stopped or paused
    meanwhile, or its deadline has already passed (the breach says more). True: this call
    warned."""
    with transaction.atomic():
        claimed = (
            SlaClock.objects.to_warn_by(now)
            .filter(pk=clock_id, due_at__gt=now)
            .update(warned_at=now)
        )
        if not claimed:
            return False
        sla_clock = SlaClock.objects.get(pk=clock_id)
        events.sla_clock_warned(clock=sla_clock)
        outbox_publish(
            topic=SLA_CLOCK_WARNED_TOPIC,
            payload=_payload(sla_clock),
            dedupe_key=f"sla-clock-warned:{clock_id}",
        )
    return True


def sla_clock_breach(*, clock_id: int, now: dt.datetime) -> bool:
    """Mark one running clock past its deadline breached. True: this call breached it."""
    with transaction.atomic():
        claimed = (
            SlaClock.objects.to_breach_by(now)
            .filter(pk=clock_id)
            .update(breached_at=now, breached_plan=F("plan"))
        )
        if not claimed:
            return False
        sla_clock = SlaClock.objects.get(pk=clock_id)
        events.sla_clock_breached(clock=sla_clock)
        outbox_publish(
            topic=SLA_CLOCK_BREACHED_TOPIC,
            payload=_payload(sla_clock),
            dedupe_key=f"sla-clock-breached:{clock_id}",
        )
    return True


def _check_failed(clock_id: int, what: str, error: Exception) -> None:
    """One clock's check failed (rolled back: it is tried again at the next check)."""
    logger.exception("SLA %s check failed", what, extra={"clock_id": clock_id})
    admin_alert_raise(
        reason=f"sla_{what}_failed",
        message=f"The SLA {what} of clock {clock_id} failed and is retried every minute: "
        f"{type(error).__name__}: {error}",
        object_type="sla.slaclock",
        object_id=str(clock_id),
        until_resolved=True,
    )


def _ids(clocks, order: str, limit: int) -> list[int]:
    in_scope = clocks.filter(clock.customer_scope("customer"))
    return list(in_scope.order_by(order, "id").values_list("id", flat=True)[:limit])


def sla_clocks_check(*, now: dt.datetime | None = None, limit: int = 500) -> CheckReport:
    """Warn of the running clocks at 80% and breach those past their deadline, in scope (real
    customers in real time, a test clock's own in its step). A clock whose check fails is
    logged and alerted to the admins, and tried again at the next check; the others go on."""
    now = now or clock.now()
    warned = breached = 0
    for clock_id in _ids(SlaClock.objects.to_breach_by(now), "due_at", limit):
        try:
            breached += sla_clock_breach(clock_id=clock_id, now=now)
        except Exception as error:
            _check_failed(clock_id, "breach", error)
    # Past its deadline but not yet breached (a breach that failed above): no warning first.
    for clock_id in _ids(SlaClock.objects.to_warn_by(now).filter(due_at__gt=now), "warn_at", limit):
        try:
            warned += sla_clock_warn(clock_id=clock_id, now=now)
        except Exception as error:
            _check_failed(clock_id, "warning", error)
    return CheckReport(warned=warned, breached=breached)
