"""Timers: deadlines kept in the database, fired by the relay's sweep (run_relay).

A timer is one row per thing awaited (its `key` is unique). It fires at most once: firing and
cancelling are both a conditional UPDATE from "pending", in the transaction of their effects, so
whichever commits first wins and the other changes nothing. A restart loses nothing: the sweep
finds every pending timer that is due.
"""

import logging
from datetime import datetime

from django.db import transaction

from onboarding.acceptance import events
from onboarding.acceptance.models import AcceptanceStatus, Rating, ReviewState, Timer, TimerKind
from onboarding.acceptance.models import TimerState as T
from onboarding.acceptance.selectors import contract_status
from onboarding.contracts.models import IN_FORCE_STATES, Contract
from onboarding.core import clock
from onboarding.risk.models import RiskLevel, RiskType
from onboarding.risk.services import risk_event_raise

logger = logging.getLogger("onboarding.acceptance.timers")


def timer_schedule(
    *, kind: str, key: str, contract: Contract, due_at: datetime, review=None
) -> Timer:
    """Set the timer `key` unless it exists (a second schedule of the same wait is a no-op)."""
    timer, _created = Timer.objects.get_or_create(
        key=key,
        defaults={"kind": kind, "contract": contract, "review": review, "due_at": due_at},
    )
    return timer


def timers_cancel(*, reason: str, contract: Contract | None = None, review=None, kinds=None) -> int:
    """Cancel the pending timers of a review, or of a contract (optionally only some kinds)."""
    pending = Timer.objects.filter(state=T.PENDING)
    if review is not None:
        pending = pending.filter(review=review)
    elif contract is not None:
        pending = pending.filter(contract=contract)
    else:
        raise ValueError("timers_cancel needs a review or a contract")
    if kinds:
        pending = pending.filter(kind__in=kinds)
    return pending.update(state=T.CANCELLED, cancelled_at=clock.now(), cancel_reason=reason[:200])


# --- firing -------------------------------------------------------------------------------------


def timers_due(*, now: datetime, limit: int) -> list[int]:
    return list(
        Timer.objects.filter(
            clock.customer_scope("contract__customer"), state=T.PENDING, due_at__lte=now
        )
        .order_by("due_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def timers_fire_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Fire every pending timer that is due; returns how many fired. Safe to run in many
    processes at once: each timer fires in the one transaction that takes it from pending."""
    fired = 0
    for timer_id in timers_due(now=now or clock.now(), limit=limit):
        try:
            fired += timer_fire(timer_id=timer_id)
        except Exception:
            # One bad timer must not stop the others; it stays pending and is tried next sweep.
            logger.exception("timer failed to fire", extra={"timer_id": timer_id})
    return fired


def timer_fire(*, timer_id: int) -> int:
    with transaction.atomic():
        taken = Timer.objects.filter(pk=timer_id, state=T.PENDING).update(
            state=T.FIRED, fired_at=clock.now()
        )
        if not taken:
            return 0  # cancelled, or another sweep fired it
        timer = Timer.objects.select_related("contract", "review").get(pk=timer_id)
        _FIRE[TimerKind(timer.kind)](timer)
    return 1


def _fire_green(timer: Timer) -> None:
    """Soft failure: warn on the contract and in the console, log it; no escalation."""
    review = timer.review
    if review is None or review.state != ReviewState.OPEN:
        return
    review.overdue_at = clock.now()
    review.save(update_fields=["overdue_at"])
    logger.warning(
        "green acceptance not acknowledged in time",
        extra={"contract_id": timer.contract_id, "review_id": review.pk},
    )
    events.green_unacknowledged(contract=timer.contract, review=review)


def _fire_manager(timer: Timer) -> None:
    review = timer.review
    if review is None or review.state != ReviewState.OPEN:
        return
    review.overdue_at = clock.now()
    review.save(update_fields=["overdue_at"])
    events.manager_unacknowledged(contract=timer.contract, review=review)
    risk_event_raise(
        type=RiskType.ACCEPTANCE_UNACKNOWLEDGED,
        level=RiskLevel.RED if review.rating == Rating.RED else RiskLevel.YELLOW,
        rating=review.rating,
        contract=timer.contract,
        reason=f"{review.get_rating_display()} acceptance of contract {timer.contract} not "
        f"acknowledged by a manager by {review.ack_due_at:%Y-%m-%d %H:%M} UTC",
        details={"contract": str(timer.contract), "due_at": review.ack_due_at.isoformat()},
        dedupe_key=f"timer:{timer.pk}",
    )


def _fire_requirements_unknown(timer: Timer) -> None:
    """A red contract is not "unknown", even with unrated requirements beside the red: its red
    review and that review's own deadline carry it."""
    contract = timer.contract
    status = contract_status(contract=contract)
    if contract.state not in IN_FORCE_STATES or status not in (
        AcceptanceStatus.UNKNOWN,
        AcceptanceStatus.IN_CAPTURE,
    ):
        return
    events.requirements_unknown(contract=contract, status=status)
    risk_event_raise(
        type=RiskType.REQUIREMENTS_UNKNOWN,
        level=RiskLevel.RED,
        contract=contract,
        reason=f"Product support requirements unknown to SysOps: contract {contract} has been "
        f"active since {timer.created_at:%Y-%m-%d %H:%M} UTC with "
        + ("no requirements captured" if status == AcceptanceStatus.UNKNOWN else "unrated ones"),
        details={
            "contract": str(contract),
            "since": timer.created_at.isoformat(),
            "captured": status != AcceptanceStatus.UNKNOWN,
        },
        dedupe_key=f"timer:{timer.pk}",
    )


_FIRE = {
    TimerKind.GREEN_ACK: _fire_green,
    TimerKind.MANAGER_ACK: _fire_manager,
    TimerKind.REQUIREMENTS_UNKNOWN: _fire_requirements_unknown,
}
