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
  the clock stops too, judged the same way: nothing is left to act on.
"""

from onboarding.acceptance.models import Rating, Review
from onboarding.accounts.models import User
from onboarding.core import clock
from onboarding.sla.models import ClockKind, Severity
from onboarding.sla.services import sla_clock_stop, sla_clocks_reterm, sla_clocks_start

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
