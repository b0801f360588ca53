"""Writes of the health score: recomputing one customer's score, and what a fall into red sets
off (a risk event on the real-time queue, the managers told).

One recompute holds the customer's CustomerHealth row locked (select_for_update) from reading
the previous score to writing the new one, so two workers recomputing the same customer at once
take turns: the second sees the first's result, writes no second snapshot and raises no second
risk event. The first recompute of a customer creates the row; two creating it at once meet on
its primary key, and the loser waits for the winner's commit and then locks the winner's row.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from onboarding.accounts.models import Customer
from onboarding.core import clock
from onboarding.core.errors import DomainError
from onboarding.core.roles import Role
from onboarding.health import events
from onboarding.health.explain import red_details, red_reason_lazy
from onboarding.health.models import Band, CustomerHealth, CustomerHealthSnapshot, Factor
from onboarding.health.reviews import (
    contract_for_risk,
    health_review_open,
    health_reviews_close,
    review_url,
)
from onboarding.health.scoring import HealthScore, health_score
from onboarding.health.selectors import (
    TREND_WINDOW,
    health_reading,
    health_score_before,
    health_settings,
)
from onboarding.notifications.services import notification_send
from onboarding.risk.models import RiskLevel, RiskType
from onboarding.risk.services import risk_event_raise

logger = logging.getLogger(__name__)

# The band of a row created in the recompute's own transaction and not yet scored: nobody else
# ever sees it (it is scored before the transaction commits).
_UNSCORED = ""
# The customer view a manager is sent to (sysops, a floor above: named, not imported).
CUSTOMER_VIEW = "sysops:customer"


@dataclass(frozen=True)
class Recomputed:
    health: CustomerHealth
    previous_score: int | None
    previous_band: str | None
    snapshot: CustomerHealthSnapshot | None  # None: score and band unchanged
    crossed_into_red: bool


def _locked(customer_id: int) -> CustomerHealth | None:
    return CustomerHealth.objects.select_for_update().filter(pk=customer_id).first()


def _locked_or_created(customer_id: int, now: dt.datetime) -> CustomerHealth:
    health = _locked(customer_id)
    if health is not None:
        return health
    try:
        with transaction.atomic():
            CustomerHealth.objects.create(
                customer_id=customer_id, score=0, band=_UNSCORED, computed_at=now
            )
    except IntegrityError:
        pass  # another worker created it first; its transaction has committed by now
    return _locked(customer_id)


def _moment_of(customer_id: int) -> tuple[int | None, dt.datetime | None]:
    """The customer's test clock and its time, or (None, None) for a real customer."""
    row = (
        Customer.objects.filter(pk=customer_id)
        .values("test_clock_id", "test_clock__frozen_time")
        .first()
    )
    if row is None:
        raise DomainError(
            gettext("There is no customer with id %(id)s.") % {"id": customer_id},
            field="customer_id",
        )
    return row["test_clock_id"], row["test_clock__frozen_time"]


def customer_health_recompute(*, customer_id: int, now: dt.datetime | None = None) -> Recomputed:
    """Score `customer_id` at `now` (default: clock.now(); a test customer outside a
    simulation is scored at its clock's time, inside one) and keep the result: the current
    score, a snapshot when score or band changed, the band change audited, and on a fall into
    red the risk event and the managers' notices. Raises DomainError for an unknown customer."""
    clock_id, frozen = _moment_of(customer_id)
    if now is None and clock.current() is None and clock_id is not None:
        with clock.simulated(clock_id, frozen):
            return _recompute(customer_id, frozen)
    return _recompute(customer_id, now or clock.now())


def _recompute(customer_id: int, now: dt.datetime) -> Recomputed:
    with transaction.atomic():
        health = _locked_or_created(customer_id, now)
        scored_before = health.band != _UNSCORED
        previous_score = health.score if scored_before else None
        previous_band = health.band if scored_before else None
        reading = health_reading(customer_id=customer_id, now=now)
        result = health_score(reading.inputs, health_settings())
        changed = result.score != previous_score or result.band != previous_band
        snapshot = None
        if changed:
            snapshot = CustomerHealthSnapshot.objects.create(
                customer_id=customer_id,
                score=result.score,
                band=result.band,
                factors=result.factors_as_dicts(),
                computed_at=now,
            )
        before = health_score_before(customer_id=customer_id, moment=now - TREND_WINDOW)
        health.score = result.score
        health.band = result.band
        health.factors = result.factors_as_dicts()
        health.trend = result.score - before if before is not None else 0
        health.computed_at = now
        health.review_at = reading.review_at
        health.save()
        crossed = result.band == Band.RED and previous_band != Band.RED
        if result.band != previous_band:
            events.health_band_changed(
                customer_id=customer_id,
                before=previous_band,
                after=result.band,
                score=result.score,
                costliest=health.costliest(),
            )
        if crossed:
            _red_crossed(customer_id, result, snapshot, now)
        elif previous_band == Band.RED and result.band != Band.RED:
            health_reviews_close(
                customer_id=customer_id,
                reason=f"Health back to {result.band} ({result.score}) before a next action",
            )
    return Recomputed(
        health=health,
        previous_score=previous_score,
        previous_band=previous_band,
        snapshot=snapshot,
        crossed_into_red=crossed,
    )


def health_red_reason(result: HealthScore) -> str:
    """'Health 32 (red). Payment -24: 2 invoices overdue, the oldest 34 days. Card -10: ...'"""
    # A record (the review's and the risk's reason): English whoever's request computes it.
    with translation.override("en"):
        parts = [
            f"{Factor(f.factor).label} -{f.cost}: {f.explanation}" for f in result.costliest(3)
        ]
    return f"Health {result.score} (red). " + ". ".join(parts)


def _red_crossed(
    customer_id: int, result: HealthScore, snapshot: CustomerHealthSnapshot, now: dt.datetime
) -> None:
    """Once per fall into red (keyed by the snapshot that recorded it): the risk event against
    the customer's contract, the managers' review opened (reviews.py), and every active manager
    told, with links to the review and the customer view."""
    reason = health_red_reason(result)
    review = health_review_open(snapshot=snapshot, reason=reason, now=now)
    contract = contract_for_risk(customer_id)
    if contract is None:
        logger.warning("Health red without a contract", extra={"customer_id": customer_id})
    else:
        risk_event_raise(
            type=RiskType.HEALTH_RED,
            level=RiskLevel.RED,
            contract=contract,
            reason=reason,
            details=red_details(result.score, result.factors_as_dicts()),
            dedupe_key=f"health-red:{customer_id}:{snapshot.pk}",
        )
    customer = Customer.objects.select_related("user").get(pk=customer_id)
    url = settings.SITE_URL + reverse(CUSTOMER_VIEW, args=[customer_id])
    managers = get_user_model().objects.filter(role=Role.MANAGER, is_active=True).order_by("pk")
    for manager in managers:
        notification_send(
            recipient=manager,
            kind="health.red",
            # Lazy: written in each manager's console language inside notification_send.
            subject=format_lazy(
                gettext_lazy("{reference}: health fell into red ({score})"),
                reference=customer.reference,
                score=result.score,
            ),
            template="notifications/generic",
            context={
                "greeting": format_lazy(gettext_lazy("Hello {name},"), name=manager.first_name)
                if manager.first_name
                else "",
                "body": format_lazy(
                    gettext_lazy(
                        "{customer} ({reference}): {reason}. Acknowledge by {due} UTC and choose "
                        "the next action on the review. The customer: {url}"
                    ),
                    customer=customer.display_name,
                    reference=customer.reference,
                    # Worded in the manager's language from the recorded factors (explain.py).
                    reason=red_reason_lazy(
                        result.score, result.factors_as_dicts(), recorded=reason
                    ),
                    due=f"{review.ack_due_at:%Y-%m-%d %H:%M}",
                    url=url,
                ),
                "action_url": review_url(review),
                "action_label": gettext_lazy("Open the review"),
            },
            dedupe_key=f"health-red:{snapshot.pk}:{manager.pk}",
        )
