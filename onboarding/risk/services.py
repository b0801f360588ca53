"""Writes: raising and resolving risk events."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from onboarding.accounts.models import User
from onboarding.contracts.models import Contract
from onboarding.core import clock
from onboarding.core.cardmask import mask_card_numbers
from onboarding.core.errors import Conflict
from onboarding.notifications.services import outbox_publish
from onboarding.risk.events import risk_raised, risk_resolved
from onboarding.risk.models import RiskEvent, RiskLevel, RiskState
from onboarding.risk.selectors import risk_event_get
from onboarding.risk.streams import RISK_TOPIC


def risk_event_raise(
    *,
    type: str,
    level: str,
    contract: Contract,
    reason: str,
    dedupe_key: str,
    rating: str = "",
    details: dict | None = None,
) -> RiskEvent:
    """Record one risk event and queue it for the stream, in the caller's transaction (a real
    customer's only: a test customer's is recorded and audited, not streamed).

    The same `dedupe_key` twice returns the first event and queues nothing more, so a timer
    that fires again (it never should) cannot make a second event. `details` holds the values
    `reason` is made of, for the board to word it in its reader's language (reasons.py).
    """
    RiskLevel(level)  # refuse an unknown level before writing anything
    existing = RiskEvent.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            event = RiskEvent.objects.create(
                dedupe_key=dedupe_key,
                type=type,
                level=level,
                rating=rating,
                reason=mask_card_numbers(reason)[:500],
                details=details or {},
                contract=contract,
                customer_id=contract.customer_id,
                occurred_at=clock.now(),
            )
    except IntegrityError:
        return RiskEvent.objects.get(dedupe_key=dedupe_key)
    risk_raised(event=event)
    # A test customer's risk stays off the Redis Stream: its consumers are real reporting, and
    # nothing would read a stream of the clock's own (its entries would outlive the clock). Its
    # row, its audit entry (simulated_at) and the risk.raised webhook (data.test_clock) are
    # where it is seen (docs/test-clocks.md).
    if contract.customer.test_clock_id is None:
        outbox_publish(
            topic=RISK_TOPIC, payload=event.as_message(), dedupe_key=f"risk:{event.event_id}"
        )
    return event


def risk_event_resolve(*, event_id: int, actor: User, note: str) -> RiskEvent:
    """A person has dealt with the risk: it leaves the board's open list."""
    note = mask_card_numbers(" ".join((note or "").split()))
    if not note:
        raise Conflict(gettext("Say what was done about the risk."), field="note")
    with transaction.atomic():
        event = risk_event_get(event_id=event_id, lock=True)
        if event.state == RiskState.RESOLVED:
            raise Conflict(gettext("This risk is already resolved."))
        event.state = RiskState.RESOLVED
        event.resolved_at = clock.now()
        event.resolved_by = actor
        event.resolution_note = note[:500]
        event.save(update_fields=["state", "resolved_at", "resolved_by", "resolution_note"])
        risk_resolved(actor=actor, event=event)
    return event
