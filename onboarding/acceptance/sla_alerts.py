"""What a review's next-action clock warning or breach means for the acceptance (the periodic
check in sla/watch.py publishes `sla.clock_warned` and `sla.clock_breached` for every subject;
sysops/sla_alerts.py, which consumes them, hands a review's to the functions here).

- 80% of the service time used: the people who can do the next action are told: the review's
  remediation owner, else the manager who acknowledged it, else every active manager.
- Breach (the deadline passed while the clock ran): a risk event `sla_breached` against the
  review's contract (red for a red review, yellow for a yellow one; dedupe key per clock), and
  the same people told.

Neither acts for a contract no longer in force (ended, or cancelled other than by the review).
Both write rows only, inside the relay's delivery transaction; the notices and the risk event
carry a dedupe key per clock, so a message handled twice still acts once. Under a test clock
the message carries the clock's stamp and is handled at the step's moment.
"""

import datetime as dt
import logging

from django.conf import settings
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from onboarding.acceptance.models import Rating, Review
from onboarding.accounts.models import User
from onboarding.contracts.models import IN_FORCE_STATES
from onboarding.core.roles import Role
from onboarding.notifications.models import Channel
from onboarding.notifications.registry import PermanentDeliveryError
from onboarding.notifications.services import notification_send
from onboarding.risk.models import RiskLevel, RiskType
from onboarding.risk.services import risk_event_raise

logger = logging.getLogger(__name__)

REVIEW_SUBJECT_TYPE = Review._meta.label_lower  # "acceptance.review"
REVIEW_SLA_TEMPLATE = "acceptance/email/review_sla"


def _review_of(message) -> tuple[int, dt.datetime, Review | None]:
    payload = message.payload if isinstance(message.payload, dict) else {}
    try:
        clock_id = int(payload["clock_id"])
        due_at = dt.datetime.fromisoformat(payload["due_at"])
        review_id = int(payload["subject_id"])
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentDeliveryError(f"malformed {message.topic} event: {error}") from error
    review = (
        Review.objects.select_related("contract__customer", "acknowledged_by", "remediation_owner")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        logger.warning("SLA message for a review that is gone", extra={"review_id": review_id})
    elif review.contract.state not in IN_FORCE_STATES:
        # The contract ended or was cancelled other than by the review: no action is owed.
        logger.info("SLA message for a contract no longer in force", extra={"review_id": review_id})
        review = None
    return clock_id, due_at, review


def review_sla_recipients(review: Review) -> list[User]:
    """Who can do the review's next action: its remediation owner, else the manager who
    acknowledged it, else every active manager."""
    for person in (review.remediation_owner, review.acknowledged_by):
        if person is not None and person.is_active:
            return [person]
    return list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))


def _notify(review: Review, *, clock_id: int, due_at: dt.datetime, event: str) -> None:
    contract = review.contract
    url = settings.SITE_URL + reverse("acceptance:contract", args=[contract.pk])
    # Lazy: written in each recipient's console language inside notification_send.
    headline = (
        gettext_lazy("next action due soon")
        if event == "warning"
        else gettext_lazy("next action deadline missed")
    )
    for recipient in review_sla_recipients(review):
        notification_send(
            recipient=recipient,
            kind=f"acceptance_sla_{event}",
            subject=format_lazy(
                gettext_lazy("{rating} acceptance of contract {contract}: {headline}"),
                rating=Rating(review.rating).label,
                contract=contract,
                headline=headline,
            ),
            template=REVIEW_SLA_TEMPLATE,
            context={
                "review": review,
                "contract": contract,
                "recipient": recipient,
                "headline": headline,
                "event": event,
                "due_at": due_at,
                "url": url,
            },
            dedupe_key=f"sla-clock:{clock_id}:{event}:{recipient.pk}",
            channels=[Channel.IN_APP, Channel.EMAIL],
        )


def review_clock_warned(message) -> None:
    """80% of a review's next-action time is used."""
    clock_id, due_at, review = _review_of(message)
    if review is not None:
        _notify(review, clock_id=clock_id, due_at=due_at, event="warning")


def review_clock_breached(message) -> None:
    """A review's next action was not done by its deadline."""
    clock_id, due_at, review = _review_of(message)
    if review is None:
        return
    contract = review.contract
    risk_event_raise(
        type=RiskType.SLA_BREACHED,
        level=RiskLevel.RED if review.rating == Rating.RED else RiskLevel.YELLOW,
        rating=review.rating,
        contract=contract,
        reason=f"{review.get_rating_display()} acceptance of contract {contract}: next action "
        f"not done by its deadline {due_at:%Y-%m-%d %H:%M} UTC",
        details={
            "subject": "acceptance",
            "contract": str(contract),
            "due_at": due_at.isoformat(),
        },
        dedupe_key=f"sla-clock:{clock_id}",
    )
    _notify(review, clock_id=clock_id, due_at=due_at, event="breached")
