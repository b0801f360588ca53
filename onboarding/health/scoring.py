"""The health score's arithmetic: pure functions, no database.

Each factor turns its inputs (a small frozen dataclass, read by selectors.health_inputs) into a
share of its weight, from 0 (nothing wrong) to 100 (as bad as it gets), by the rule written on
its function; its cost is that share of the factor's weight in whole points (rounded half up),
so a factor never costs more than its weight. The score is 100 minus the costs, never below 0,
and its band is HealthSettings.band_of(score). docs/health.md has the same rules as a table.
"""

import datetime as dt
from dataclasses import dataclass, field

from onboarding.health.models import Factor, HealthSettings

# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentInputs:
    """The customer's invoices still to pay (open or uncollectible)."""

    open_count: int = 0
    overdue_count: int = 0
    oldest_overdue_days: int = 0
    failed_count: int = 0  # the latest charge declined or failed (dunning retries them)
    action_required_count: int = 0  # the bank waits for the customer to confirm (SCA)
    uncollectible_count: int = 0


@dataclass(frozen=True)
class AcceptanceInputs:
    """The worst live yellow or red acceptance review on the customer's contracts in force."""

    worst: str = ""  # "red", "yellow", or "" (none)
    unacknowledged_days: int | None = None  # None: a manager has acknowledged or acted


@dataclass(frozen=True)
class ContractInputs:
    has_any: bool = False  # the customer ever had a contract
    in_force: bool = False
    unacknowledged_days: int | None = None  # sent and waiting for the customer's acknowledgement
    days_to_expiry: int | None = None  # of the contract in force ending last
    cancel_at_period_end: bool = False
    ended_on: dt.date | None = None  # without one in force: when the last one ended


@dataclass(frozen=True)
class ServiceInputs:
    """Open repair and troubleshoot requests by severity, and SLA breaches in the last 90 days."""

    critical: int = 0
    high: int = 0
    normal: int = 0
    low: int = 0
    breaches_90_days: int = 0


@dataclass(frozen=True)
class CardInputs:
    on_file: bool = False
    days_to_expiry: int | None = None  # negative once expired
    expires_on: dt.date | None = None
    invoices_to_pay: int = 0


@dataclass(frozen=True)
class EngagementInputs:
    days_since_sign_in: int | None = None  # None: never signed in
    days_since_joined: int = 0
    unread_notices: int = 0


@dataclass(frozen=True)
class HealthInputs:
    payment: PaymentInputs = field(default_factory=PaymentInputs)
    acceptance: AcceptanceInputs = field(default_factory=AcceptanceInputs)
    contract: ContractInputs = field(default_factory=ContractInputs)
    service: ServiceInputs = field(default_factory=ServiceInputs)
    card: CardInputs = field(default_factory=CardInputs)
    engagement: EngagementInputs = field(default_factory=EngagementInputs)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorScore:
    factor: str
    cost: int
    weight: int
    explanation: str  # English, as recorded (events, webhooks, the API's English readers)
    # What the explanation says as codes and numbers (explain.py words them in the reader's
    # language): [{"code": "overdue_many", "count": 2, "days": 34}, ...], in the English order.
    parts: tuple[dict, ...] = ()

    def as_dict(self) -> dict:
        return {
            "factor": self.factor,
            "cost": self.cost,
            "weight": self.weight,
            "explanation": self.explanation,
            "parts": [dict(part) for part in self.parts],
        }


@dataclass(frozen=True)
class HealthScore:
    score: int
    band: str
    factors: tuple[FactorScore, ...]

    def factors_as_dicts(self) -> list[dict]:
        return [f.as_dict() for f in self.factors]

    def costliest(self, count: int = 3) -> list[FactorScore]:
        costing = [f for f in self.factors if f.cost > 0]
        return sorted(costing, key=lambda f: -f.cost)[:count]


def cost_of(share: int, weight: int) -> int:
    """`share` percent (capped at 100) of `weight`, in whole points rounded half up."""
    share = max(0, min(100, share))
    return (weight * share + 50) // 100


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _days(count: int) -> str:
    return _plural(count, "day")


def day_text(day: dt.date) -> str:
    """A date as a manager reads it: "31 Mar 2026"."""
    return f"{day.day} {day:%b %Y}"


def _sentence(parts: list[str]) -> str:
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


# --- the factors ------------------------------------------------------------------------------


Explained = tuple[int, str, tuple[dict, ...]]  # share, English text, its parts (FactorScore)


def _part(code: str, **values) -> dict:
    return {"code": code, **values}


def payment_share(p: PaymentInputs) -> Explained:
    """Overdue: the oldest 1-14 days late 40, 15-30 days 60, over 30 days 80; any payment
    declined or failed (dunning) +30; any waiting for the customer's confirmation +20; any
    uncollectible 100. Open invoices not yet due cost nothing."""
    share = 0
    parts, codes = [], []
    if p.overdue_count:
        days = p.oldest_overdue_days
        share += 40 if days <= 14 else 60 if days <= 30 else 80
        if p.overdue_count == 1:
            parts.append(f"1 invoice overdue by {_days(days)}")
            codes.append(_part("overdue_one", days=days))
        else:
            parts.append(f"{p.overdue_count} invoices overdue, the oldest {_days(days)}")
            codes.append(_part("overdue_many", count=p.overdue_count, days=days))
    if p.failed_count:
        share += 30
        parts.append(f"payment failed on {_plural(p.failed_count, 'invoice')}, in dunning")
        codes.append(_part("payment_failed", count=p.failed_count))
    if p.action_required_count:
        share += 20
        parts.append(
            f"{_plural(p.action_required_count, 'payment')} waiting for the customer to confirm"
        )
        codes.append(_part("payment_action_required", count=p.action_required_count))
    if p.uncollectible_count:
        share = 100
        parts.append(f"{_plural(p.uncollectible_count, 'invoice')} written off as uncollectible")
        codes.append(_part("uncollectible", count=p.uncollectible_count))
    if not parts:
        if p.open_count:
            text = f"{_plural(p.open_count, 'invoice')} open, not yet due"
            return 0, text, (_part("open_not_due", count=p.open_count),)
        return 0, "Nothing owed", (_part("nothing_owed"),)
    return share, _sentence(parts), tuple(codes)


def acceptance_share(a: AcceptanceInputs) -> Explained:
    """Red 70, yellow 35; while no manager has acknowledged it, +10 per full week waiting
    (at most +30)."""
    if a.worst not in ("red", "yellow"):
        return 0, "No yellow or red acceptance", (_part("acceptance_fine"),)
    share = 70 if a.worst == "red" else 35
    if a.unacknowledged_days is None:
        text = f"Acceptance is {a.worst}, a manager is on it"
        return share, text, (_part("acceptance_in_hand", rating=a.worst),)
    share += min(30, 10 * (a.unacknowledged_days // 7))
    return (
        share,
        f"Acceptance is {a.worst}, unacknowledged for {_days(a.unacknowledged_days)}",
        (_part("acceptance_unacknowledged", rating=a.worst, days=a.unacknowledged_days),),
    )


def contract_share(c: ContractInputs) -> Explained:
    """No contract in force though there was one: 100. Sent and not acknowledged: 20 for up
    to 14 days, 40 to 30 days, 60 beyond. Set to cancel at the period's end: +60. Ending
    within 30 days +30, within 90 days +15. No contract ever: nothing."""
    if not c.in_force:
        if not c.has_any:
            return 0, "No contract yet", (_part("no_contract_yet"),)
        ended = f", the last ended on {day_text(c.ended_on)}" if c.ended_on else ""
        code = _part("none_in_force", ended_on=c.ended_on.isoformat() if c.ended_on else None)
        return 100, f"No contract in force{ended}", (code,)
    share = 0
    parts, codes = [], []
    if c.unacknowledged_days is not None:
        days = c.unacknowledged_days
        share += 20 if days <= 14 else 40 if days <= 30 else 60
        waited = "sent today" if days == 0 else f"sent {_days(days)} ago"
        parts.append(f"contract {waited}, not acknowledged yet")
        codes.append(_part("contract_unacknowledged", days=days))
    if c.cancel_at_period_end:
        share += 60
        parts.append("set to cancel at the end of the period")
        codes.append(_part("cancel_at_period_end"))
    if c.days_to_expiry is not None and c.days_to_expiry <= 90:
        share += 30 if c.days_to_expiry <= 30 else 15
        parts.append(f"contract ends in {_days(max(0, c.days_to_expiry))}")
        codes.append(_part("contract_ends", days=max(0, c.days_to_expiry)))
    if not parts:
        return 0, "Contract acknowledged and in force", (_part("contract_fine"),)
    return share, _sentence(parts), tuple(codes)


SEVERITY_SHARES = (("critical", 40), ("high", 25), ("normal", 10), ("low", 5))
BREACH_SHARE = 15


def service_share(s: ServiceInputs) -> Explained:
    """Each open request: critical 40, high 25, normal 10, low 5; each SLA breach in the last
    90 days 15."""
    share = 0
    open_parts = []
    for severity, points in SEVERITY_SHARES:
        count = getattr(s, severity)
        share += count * points
        if count:
            open_parts.append(f"{count} {severity}")
    parts, codes = [], []
    if open_parts:
        total = s.critical + s.high + s.normal + s.low
        listed = (
            " and ".join(open_parts)
            if len(open_parts) <= 2
            else ", ".join(open_parts[:-1]) + " and " + open_parts[-1]
        )
        parts.append(f"{listed} {'request' if total == 1 else 'requests'} open")
        counts = {severity: getattr(s, severity) for severity, _points in SEVERITY_SHARES}
        codes.append(_part("requests_open", **counts))
    if s.breaches_90_days:
        share += BREACH_SHARE * s.breaches_90_days
        parts.append(f"{_plural(s.breaches_90_days, 'SLA breach', 'SLA breaches')} in 90 days")
        codes.append(_part("sla_breaches", count=s.breaches_90_days))
    if not parts:
        return 0, "No open requests, no SLA breach in 90 days", (_part("service_fine"),)
    return share, _sentence(parts), tuple(codes)


def card_share(c: CardInputs) -> Explained:
    """Expired 100; expiring within 30 days 60; none on file with invoices to pay 100, with
    nothing to pay nothing."""
    if not c.on_file:
        if c.invoices_to_pay:
            text = f"No card on file, {_plural(c.invoices_to_pay, 'invoice')} to pay"
            return 100, text, (_part("no_card_to_pay", count=c.invoices_to_pay),)
        return 0, "No card on file, nothing to pay", (_part("no_card_nothing_to_pay"),)
    days = c.days_to_expiry
    if days is None or days >= 30:
        return 0, "Card valid", (_part("card_valid"),)
    if days < 0:
        when = f" on {day_text(c.expires_on)}" if c.expires_on else ""
        on = c.expires_on.isoformat() if c.expires_on else None
        return 100, f"Card expired{when}", (_part("card_expired", expired_on=on),)
    if days == 0:
        return 60, "Card expires today", (_part("card_expires", days=0),)
    return 60, f"Card expires in {_days(days)}", (_part("card_expires", days=days),)


def engagement_share(e: EngagementInputs) -> Explained:
    """Days since the last sign-in (since joining if never): up to 30 nothing, 31-60 40,
    61-90 60, over 90 80; 3-9 unread notices +20, 10 or more +40."""
    share = 0
    parts, codes = [], []
    days = e.days_since_sign_in if e.days_since_sign_in is not None else e.days_since_joined
    if days > 30:
        share += 40 if days <= 60 else 60 if days <= 90 else 80
        if e.days_since_sign_in is None:
            parts.append(f"never signed in, joined {_days(days)} ago")
            codes.append(_part("never_signed_in", days=days))
        else:
            parts.append(f"last signed in {_days(days)} ago")
            codes.append(_part("last_signed_in", days=days))
    if e.unread_notices >= 3:
        share += 40 if e.unread_notices >= 10 else 20
        parts.append(f"{e.unread_notices} notices unread")
        codes.append(_part("notices_unread", count=e.unread_notices))
    if not parts:
        return 0, "Signed in within 30 days", (_part("engagement_fine"),)
    return share, _sentence(parts), tuple(codes)


SHARES = {
    Factor.PAYMENT: ("payment", payment_share),
    Factor.ACCEPTANCE: ("acceptance", acceptance_share),
    Factor.CONTRACT: ("contract", contract_share),
    Factor.SERVICE: ("service", service_share),
    Factor.CARD: ("card", card_share),
    Factor.ENGAGEMENT: ("engagement", engagement_share),
}


def factor_score(factor: str, inputs: HealthInputs, settings: HealthSettings) -> FactorScore:
    attribute, share_of = SHARES[Factor(factor)]
    share, explanation, parts = share_of(getattr(inputs, attribute))
    weight = settings.weight_of(factor)
    return FactorScore(
        factor=str(factor),
        cost=cost_of(share, weight),
        weight=weight,
        explanation=explanation,
        parts=parts,
    )


def health_score(inputs: HealthInputs, settings: HealthSettings) -> HealthScore:
    """The score: 100 minus each factor's cost, never below 0, in Factor order."""
    factors = tuple(factor_score(f, inputs, settings) for f in Factor)
    score = max(0, 100 - sum(f.cost for f in factors))
    return HealthScore(score=score, band=settings.band_of(score), factors=factors)
