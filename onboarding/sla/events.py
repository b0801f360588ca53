"""The SLA app's audit events (admins' edits are audited by audit.admin_edits), one typed
function each: nothing else writes them."""

from onboarding.audit.services import audit_record


def sla_seeded(*, policies_created: int, holidays_created: int, credit_terms_added: int) -> None:
    audit_record(
        action="sla.seeded",
        object_type="sla.slapolicy",
        changes={
            "policies_created": policies_created,
            "holidays_created": holidays_created,
            "credit_terms_added": credit_terms_added,
        },
    )


def _moment(value) -> str | None:
    return value.isoformat() if value is not None else None


def sla_clocks_started(*, actor, subject, customer, clocks) -> None:
    """A subject's clocks started; each kind's deadline (None: no SLA for the severity)."""
    audit_record(
        action="sla.clocks_started",
        actor=actor,
        target=subject,
        customer_id=customer.pk,
        changes={
            "severity": clocks[0].severity,
            "started_at": _moment(clocks[0].started_at),
            **{f"{clock.kind}_due": _moment(clock.due_at) for clock in clocks},
        },
    )


def sla_clock_stopped(*, actor, subject, clock) -> None:
    audit_record(
        action="sla.clock_stopped",
        actor=actor,
        target=subject,
        customer_id=clock.customer_id,
        changes={
            "kind": clock.kind,
            "stopped_at": _moment(clock.stopped_at),
            "due_at": _moment(clock.due_at),
            "outcome": clock.outcome,
            **({"reason": clock.stop_reason} if clock.stop_reason else {}),
        },
        message=clock.stop_reason,
    )


def sla_breach_withdrawn(*, actor, subject, clock, breached_at=None, warned_at=None) -> None:
    """The periodic check stamped a breach (or a warning) after the moment the clock's subject
    ended (sla_clocks_end): the clock was not running then, so the stamp is withdrawn."""
    audit_record(
        action="sla.breach_withdrawn",
        actor=actor,
        target=subject,
        customer_id=clock.customer_id,
        changes={
            "kind": clock.kind,
            "breached_at": [_moment(breached_at), None] if breached_at else None,
            "warned_at": [_moment(warned_at), None] if warned_at else None,
            "ended_at": _moment(clock.stopped_at),
        },
        message=clock.stop_reason,
    )


def sla_clock_restarted(*, actor, subject, clock) -> None:
    audit_record(
        action="sla.clock_restarted",
        actor=actor,
        target=subject,
        customer_id=clock.customer_id,
        changes={"kind": clock.kind, "due_at": _moment(clock.due_at)},
    )


def sla_clocks_retermed(*, actor, subject, changed, carried_from=None) -> None:
    """New terms after a severity change: each clock's deadline before and after (and the
    subject they were carried over from, if any)."""
    carried = (
        {"carried_from": f"{carried_from._meta.label_lower}#{carried_from.pk}"}
        if carried_from is not None
        else {}
    )
    audit_record(
        action="sla.clocks_retermed",
        actor=actor,
        target=subject,
        customer_id=changed[0][0].customer_id,
        changes={
            "severity": changed[0][0].severity,
            **{
                f"{clock.kind}_due": [_moment(before), _moment(clock.due_at)]
                for clock, before in changed
            },
            **carried,
        },
    )


def sla_clock_warned(*, clock) -> None:
    """80% of a running clock's service time is used (the periodic check, sla/watch.py)."""
    audit_record(
        action="sla.clock_warned",
        object_type=clock.subject_type,
        object_id=clock.subject_id,
        customer_id=clock.customer_id,
        changes={
            "kind": clock.kind,
            "warned_at": _moment(clock.warned_at),
            "due_at": _moment(clock.due_at),
        },
    )


def sla_clock_breached(*, clock) -> None:
    """A running clock passed its deadline (the periodic check, sla/watch.py)."""
    audit_record(
        action="sla.clock_breached",
        object_type=clock.subject_type,
        object_id=clock.subject_id,
        customer_id=clock.customer_id,
        changes={
            "kind": clock.kind,
            "breached_at": _moment(clock.breached_at),
            "due_at": _moment(clock.due_at),
        },
    )
