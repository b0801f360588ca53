"""The next-action clock of a yellow or red review (docs/sla.md, "Acceptance clocks").

A contract whose acceptance is yellow or red owes a next action: a manager accepts it with
conditions, requests remediation, escalates it or cancels the contract. The review that waits
for it runs one SLA clock (`sla.SlaClock`, kind resolution, subject the review), on the
contract's plan's resolution time for the severity its rating maps to (`SEVERITY_OF_RATING`),
counted in that policy's service hours. The acceptance services call these functions inside
their own transaction, at the business clock's moment (`onboarding.core.clock.now()`: a test
clock's customer runs on simulated time):

- a yellow or red review opens: the clock starts at its opening;
- the review's rating changes between yellow and red (the live review is superseded by one of
  the other rating) while the clock runs: the new review takes the clock over and it is
  re-termed for the new severity, still counted from when the wait began;
- the next action is done (the first action that sets `acted_at`; an acknowledgement is not
  one): the clock stops, met or missed;
- the contract moves onto another plan (an amendment): a running clock takes the new plan's
  terms, still counted from its start;
- the review closes without an action (its status became green, or went back to capture):
  the clock stops too, judged the same way: nothing is left to act on;
- the contract ends other than by the review's own action (expired, renewed, cancelled by a
  person or with the subscription billing cancelled): contracts publish "contract.ended"
  (contracts sit below this app) and `contract_ended` stops the clocks of the contract's
  reviews at the moment it ended, with the reason; a breach the periodic check claimed after
  that moment is withdrawn (sla.services.sla_clocks_end), and the consumers of the warning and
  the breach raise nothing for a contract no longer in force (acceptance/sla_alerts.py).
"""

import datetime as dt
import logging

from django.db import transaction

from onboarding.acceptance.models import Rating, Review
from onboarding.accounts.models import User
from onboarding.contracts.models import IN_FORCE_STATES, Contract, ContractState
from onboarding.core import clock
from onboarding.notifications.registry import PermanentDeliveryError
from onboarding.sla.models import ClockKind, Severity, SlaClock
from onboarding.sla.services import (
    sla_clock_stop,
    sla_clocks_end,
    sla_clocks_reterm,
    sla_clocks_start,
)

logger = logging.getLogger(__name__)

# The one mapping from a review's rating to the SLA severity whose resolution time the next
# action is due in. Green waits for an acknowledgement only and runs no clock.
SEVERITY_OF_RATING: dict[str, str] = {
    Rating.RED: Severity.CRITICAL,
    Rating.YELLOW: Severity.HIGH,
}
# The clock's kind: the plan's resolution time (the next action resolves the acceptance).
NEXT_ACTION_KIND = ClockKind.RESOLUTION


def runs_clock(review: Review) -> bool:
    return review.rating in SEVERITY_OF_RATING


def review_clock_start(*, review: Review, previous: Review | None, actor: User | None) -> None:
    """Start the next-action clock of a yellow or red review that has just opened (contract
    locked). A running clock of the review it superseded (yellow then red, or red then yellow)
    is carried over and re-termed; otherwise a new one starts at the review's opening."""
    if not runs_clock(review):
        return
    contract = review.contract
    severity = SEVERITY_OF_RATING[review.rating]
    if previous is not None and runs_clock(previous):
        carried = sla_clocks_reterm(
            subject=review,
            plan=contract.plan,
            severity=severity,
            actor=actor,
            carried_from=previous,
        )
        if carried:
            return
    sla_clocks_start(
        subject=review,
        customer=contract.customer,
        plan=contract.plan,
        severity=severity,
        at=review.opened_at,
        actor=actor,
        kinds=(NEXT_ACTION_KIND,),
    )


def review_clock_reterm(*, review: Review, actor: User | None) -> None:
    """Put the review's running clock on its contract's plan's terms as they are now (the
    contract moved onto another plan), counted from its start."""
    if not runs_clock(review):
        return
    sla_clocks_reterm(
        subject=review,
        plan=review.contract.plan,
        severity=SEVERITY_OF_RATING[review.rating],
        actor=actor,
    )


def review_clock_stop(*, review: Review, actor: User | None) -> None:
    """Stop the review's next-action clock now (its next action was done, or it closed
    without one). A stopped clock stays as it was judged."""
    if not runs_clock(review):
        return
    sla_clock_stop(subject=review, kind=NEXT_ACTION_KIND, at=clock.now(), actor=actor)


def contract_ended_at(contract: Contract) -> dt.datetime:
    """When a contract no longer in force ended, from its row (for contracts that ended before
    "contract.ended" was published, see migration acceptance.0002): cancelled, when it was
    cancelled; expired, at the end of its term; renewed, when it was renewed (its last
    change), at the latest at the end of its term."""
    if contract.cancelled_at is not None:
        return contract.cancelled_at
    if contract.state == ContractState.EXPIRED:
        return contract.term_end
    return min(contract.term_end, contract.updated_at)


def review_clocks_end(*, contract: Contract, at: dt.datetime) -> int:
    """Stop the unstopped next-action clocks of the (locked) contract's reviews at `at`, the
    moment the contract ended: no next action is owed on it any more. Returns how many."""
    review_ids = Review.objects.filter(contract=contract).values("pk")
    subjects = (
        SlaClock.objects.filter(
            subject_type=Review._meta.label_lower,
            subject_id__in=review_ids,
            stopped_at__isnull=True,
        )
        .values_list("subject_id", flat=True)
        .distinct()
    )
    reason = (
        f"contract {contract} {ContractState(contract.state).label.lower()}: no next action is owed"
    )
    ended = 0
    for review in Review.objects.filter(pk__in=list(subjects)).order_by("pk"):
        ended += len(sla_clocks_end(subject=review, at=at, reason=reason))
    return ended


@transaction.atomic
def contract_ended(message, batch) -> None:
    """Outbox consumer of "contract.ended" (transactional): the contract expired, was renewed
    or cancelled; its reviews' next-action clocks stop at the moment it ended. A message
    delivered twice stops nothing the second time (a stopped clock stays as it was)."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    try:
        contract_id = int(payload["contract_id"])
        ended_at = dt.datetime.fromisoformat(payload["ended_at"])
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentDeliveryError(f"malformed {message.topic} event: {error}") from error
    contract = Contract.objects.select_for_update().filter(pk=contract_id).first()
    if contract is None:
        logger.warning("contract.ended for a contract that is gone", extra={"id": contract_id})
        return
    if contract.state in IN_FORCE_STATES:
        # Ended states are final; a contract in force here means the message is not what it
        # says: nothing is stopped, and the relay records it as failed for an admin to see.
        raise PermanentDeliveryError(f"contract {contract_id} is {contract.state}, not ended")
    review_clocks_end(contract=contract, at=ended_at)
