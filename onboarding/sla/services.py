"""Writes: the service-level clocks of a subject (a repair or troubleshoot request, or an
acceptance review's next action).

The app that owns the subject calls these explicitly from its own services, inside its
transaction, with the moment of the change (`onboarding.core.clock.now()`, so a test clock's
customer runs on simulated time). A subject has one clock per kind; each function acts on the
clocks it applies to and leaves the others (a stopped clock is not paused, a running one is not
resumed), so calling one twice changes nothing the second time.
"""

import datetime as dt

from django.db import models, transaction

from onboarding.accounts.models import Customer
from onboarding.catalog.models import Plan
from onboarding.sla import events
from onboarding.sla.models import (
    ClockKind,
    ClockOutcome,
    SlaClock,
    SlaClockPause,
    SlaPolicy,
)
from onboarding.sla.selectors import clock_calendar_of, clock_place_for
from onboarding.sla.service_time import NoServiceTime, deadline_after


def _policy(plan: Plan, severity: str) -> SlaPolicy | None:
    return SlaPolicy.objects.filter(plan=plan, severity=severity).first()


def _apply_terms(clock: SlaClock, policy: SlaPolicy | None, severity: str, plan: Plan) -> None:
    clock.severity = severity
    clock.plan = plan
    if policy is None:
        clock.duration, clock.service_hours = None, None
        clock.time_zone, clock.holiday_country = "", ""
        return
    clock.duration = (
        policy.first_response if clock.kind == ClockKind.FIRST_RESPONSE else policy.resolution
    )
    clock.service_hours = policy.service_hours
    # Where it counts is fixed now: a customer changing zone later moves no running clock.
    clock.time_zone, clock.holiday_country = clock_place_for(
        hours=policy.service_hours, customer=clock.customer
    )


def _closed_pauses(clock: SlaClock) -> list[tuple[dt.datetime, dt.datetime]]:
    if clock.pk is None:
        return []
    return [
        (pause.started_at, pause.ended_at)
        for pause in clock.pauses.filter(ended_at__isnull=False).order_by("started_at")
    ]


def _set_deadlines(clock: SlaClock) -> None:
    """Set the deadline (`due_at`) and the 80% warning moment (`warn_at`) on the clock's terms
    given its finished pauses: while a pause lasts, both as of the pause (they move when the
    pause ends)."""
    clock.due_at = clock.warn_at = None
    if not clock.has_terms:
        return
    calendar, holidays = clock_calendar_of(clock)
    pauses = _closed_pauses(clock)
    try:
        clock.due_at = deadline_after(clock.started_at, clock.duration, calendar, holidays, pauses)
        clock.warn_at = deadline_after(
            clock.started_at, clock.warn_duration, calendar, holidays, pauses
        )
    except NoServiceTime:
        # Hours that never open promise no deadline; the page says "no SLA".
        clock.due_at = clock.warn_at = None


def _outcome(clock: SlaClock) -> str:
    if clock.due_at is None:
        return ClockOutcome.NO_TERMS
    return ClockOutcome.MET if clock.stopped_at <= clock.due_at else ClockOutcome.MISSED


def _clocks(subject: models.Model, *, kinds=None) -> list[SlaClock]:
    clocks = (
        SlaClock.objects.of(subject)
        .select_for_update(of=("self",))
        .select_related("service_hours", "customer")
    )
    if kinds is not None:
        clocks = clocks.filter(kind__in=kinds)
    return list(clocks)


def _clock_start(
    *, subject: models.Model, customer: Customer, kind: str, policy, severity: str, plan, at
) -> SlaClock:
    clock = SlaClock(
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        customer=customer,
        kind=kind,
        started_at=at,
    )
    _apply_terms(clock, policy, severity, plan)
    _set_deadlines(clock)
    clock.outcome = ClockOutcome.PENDING if clock.due_at else ClockOutcome.NO_TERMS
    clock.save()
    return clock


@transaction.atomic
def sla_clocks_start(
    *,
    subject: models.Model,
    customer: Customer,
    plan: Plan,
    severity: str,
    at: dt.datetime,
    actor=None,
    kinds: tuple[str, ...] = tuple(ClockKind.values),
) -> list[SlaClock]:
    """Start the subject's clocks of `kinds` (a request: first response and resolution; an
    acceptance review: resolution, its next action) at `at`, on the plan's terms for
    `severity`. Without terms the clocks still start (recording pauses) with no deadline."""
    policy = _policy(plan, severity)
    started = [
        _clock_start(
            subject=subject,
            customer=customer,
            kind=kind,
            policy=policy,
            severity=severity,
            plan=plan,
            at=at,
        )
        for kind in kinds
    ]
    events.sla_clocks_started(actor=actor, subject=subject, customer=customer, clocks=started)
    return started


@transaction.atomic
def sla_clocks_pause(*, subject: models.Model, at: dt.datetime) -> int:
    """Pause the subject's running clocks (the subject waits on the customer)."""
    paused = 0
    for clock in _clocks(subject):
        if clock.is_stopped or clock.is_paused:
            continue
        SlaClockPause.objects.create(clock=clock, started_at=at)
        clock.paused_since = at
        clock.save(update_fields=["paused_since"])
        paused += 1
    return paused


def _end_pause(clock: SlaClock, at: dt.datetime) -> None:
    clock.pauses.filter(ended_at__isnull=True).update(ended_at=max(at, clock.paused_since))
    clock.paused_since = None


@transaction.atomic
def sla_clocks_resume(*, subject: models.Model, at: dt.datetime) -> int:
    """Resume the subject's paused clocks; their deadlines move by the service time paused."""
    resumed = 0
    for clock in _clocks(subject):
        if not clock.is_paused:
            continue
        _end_pause(clock, at)
        _set_deadlines(clock)
        clock.save(update_fields=["paused_since", "due_at", "warn_at"])
        resumed += 1
    return resumed


@transaction.atomic
def sla_clock_stop(
    *, subject: models.Model, kind: str, at: dt.datetime, actor=None
) -> SlaClock | None:
    """Stop the subject's `kind` clock at `at` (the first response was given, or the subject
    was resolved) and judge it: met when stopped by its deadline. A stopped clock stays so."""
    clock = next(iter(_clocks(subject, kinds=[kind])), None)
    if clock is None or clock.is_stopped:
        return None
    if clock.paused_since is not None:
        _end_pause(clock, at)
        _set_deadlines(clock)
    clock.stopped_at = at
    clock.outcome = _outcome(clock)
    clock.save(update_fields=["paused_since", "due_at", "warn_at", "stopped_at", "outcome"])
    events.sla_clock_stopped(actor=actor, subject=subject, clock=clock)
    return clock


@transaction.atomic
def sla_clocks_end(
    *, subject: models.Model, at: dt.datetime, reason: str, actor=None
) -> list[SlaClock]:
    """Stop the subject's unstopped clocks at `at` because what they wait for can no longer
    happen (an acceptance review whose contract ended: no next action is owed), with `reason`
    kept on the clock and in the audit entry. Judged like any stop: met when stopped by the
    deadline, else missed.

    The periodic check may have claimed a breach (or the 80% warning) after `at`, before this
    call came (the end travels as an outbox message): a clock whose subject ended then was not
    running, so the stamp is withdrawn (audited `sla.breach_withdrawn`; the consumers raised
    nothing for it, as they check the subject too). The clock rows are locked first, so a check
    running at the same moment waits and then finds the clock stopped: it never breaches after
    this. A stopped clock stays as it was."""
    ended = []
    for clock in _clocks(subject):
        if clock.is_stopped:
            continue
        at_clock = max(at, clock.started_at)
        if clock.paused_since is not None:
            _end_pause(clock, at_clock)
            _set_deadlines(clock)
        withdrawn = {}
        if clock.breached_at is not None and clock.breached_at > at_clock:
            withdrawn["breached_at"] = clock.breached_at
            clock.breached_at, clock.breached_plan = None, None
        if clock.warned_at is not None and clock.warned_at > at_clock:
            withdrawn["warned_at"] = clock.warned_at
            clock.warned_at = None
        clock.stopped_at = at_clock
        clock.stop_reason = reason[:200]
        clock.outcome = _outcome(clock)
        clock.save(
            update_fields=[
                "paused_since",
                "due_at",
                "warn_at",
                "stopped_at",
                "stop_reason",
                "outcome",
                "breached_at",
                "breached_plan",
                "warned_at",
            ]
        )
        if withdrawn:
            events.sla_breach_withdrawn(actor=actor, subject=subject, clock=clock, **withdrawn)
        events.sla_clock_stopped(actor=actor, subject=subject, clock=clock)
        ended.append(clock)
    return ended


@transaction.atomic
def sla_clock_restart(
    *, subject: models.Model, kind: str, at: dt.datetime, actor=None
) -> SlaClock | None:
    """Run a stopped clock again (a resolved request is reopened: the fix did not hold). The
    time it stood stopped counts as a pause, so the deadline is the one it had, moved by it."""
    clock = next(iter(_clocks(subject, kinds=[kind])), None)
    if clock is None or not clock.is_stopped:
        return None
    SlaClockPause.objects.create(clock=clock, started_at=clock.stopped_at, ended_at=at)
    clock.stopped_at, clock.stop_reason = None, ""
    _set_deadlines(clock)
    clock.outcome = ClockOutcome.PENDING if clock.due_at else ClockOutcome.NO_TERMS
    clock.save(update_fields=["stopped_at", "stop_reason", "due_at", "warn_at", "outcome"])
    events.sla_clock_restarted(actor=actor, subject=subject, clock=clock)
    return clock


@transaction.atomic
def sla_clocks_reterm(
    *,
    subject: models.Model,
    plan: Plan,
    severity: str,
    actor=None,
    carried_from: models.Model | None = None,
) -> list[SlaClock]:
    """Put the subject's unstopped clocks on the plan's terms for a new severity, counted from
    when they started, pauses kept. A stopped clock keeps the terms it was judged on.

    `carried_from`: another subject whose unstopped clocks `subject` takes over first (an
    acceptance review superseded by a review of another rating: the wait for the contract's
    next action goes on, counted from when it began)."""
    if carried_from is not None:
        SlaClock.objects.of(carried_from).filter(stopped_at__isnull=True).update(
            subject_type=subject._meta.label_lower, subject_id=subject.pk
        )
    policy = _policy(plan, severity)
    changed = []
    for clock in _clocks(subject):
        if clock.is_stopped:
            continue
        before = clock.due_at
        _apply_terms(clock, policy, severity, plan)
        _set_deadlines(clock)
        clock.outcome = ClockOutcome.PENDING if clock.due_at else ClockOutcome.NO_TERMS
        clock.save(
            update_fields=[
                "severity",
                "plan",
                "duration",
                "service_hours",
                "time_zone",
                "holiday_country",
                "due_at",
                "warn_at",
                "outcome",
            ]
        )
        changed.append((clock, before))
    if changed:
        events.sla_clocks_retermed(
            actor=actor, subject=subject, changed=changed, carried_from=carried_from
        )
    return [clock for clock, _ in changed]
