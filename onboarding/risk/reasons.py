"""A risk's reason in the board's reader's language (issue 20).

`RiskEvent.reason` is the English record the Redis Stream, the API and the audit carry; it is
never rewritten. Beside it `RiskEvent.details` holds the values the reason is made of, and the
board words them here in the active language. English readers get the recorded text itself
(byte for byte what the worker wrote), and so does an event raised before `details` existed.

A type worded by an app above this one (health's, which needs its factor explanations) is
registered by that app when it loads (`register_reason_wording`): the floors forbid importing it
from here, and the board only displays, it decides nothing.
"""

import datetime as dt
from collections.abc import Callable

from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, gettext_lazy

from onboarding.risk.models import RiskEvent, RiskType

Wording = Callable[[RiskEvent], str]

_WORDINGS: dict[str, Wording] = {}

SEVERITY_WORDS = {
    "low": gettext_lazy("Low"),
    "normal": gettext_lazy("Normal"),
    "high": gettext_lazy("High"),
    "critical": gettext_lazy("Critical"),
}


def register_reason_wording(type: str, wording: Wording) -> None:
    _WORDINGS[str(type)] = wording


def moment(iso: str) -> str:
    """A recorded UTC moment as the reader writes one ("3. Dezember 2026, 14:05"), UTC after it
    in the sentence as in the English record."""
    when = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    return formats.date_format(timezone.make_naive(when, dt.UTC), "DATETIME_FORMAT")


def _acceptance_unacknowledged(event: RiskEvent) -> str:
    d = event.details
    values = {"contract": d["contract"], "due": moment(d["due_at"])}
    if event.rating == "red":
        text = gettext(
            "Red acceptance of contract %(contract)s not acknowledged by a manager by %(due)s UTC"
        )
    else:
        text = gettext(
            "Yellow acceptance of contract %(contract)s not acknowledged by a manager by "
            "%(due)s UTC"
        )
    return text % values


def _requirements_unknown(event: RiskEvent) -> str:
    d = event.details
    values = {"contract": d["contract"], "since": moment(d["since"])}
    if d.get("captured"):
        text = gettext(
            "Product support requirements unknown to SysOps: contract %(contract)s has been "
            "active since %(since)s UTC with unrated ones"
        )
    else:
        text = gettext(
            "Product support requirements unknown to SysOps: contract %(contract)s has been "
            "active since %(since)s UTC with no requirements captured"
        )
    return text % values


def _sla_breached(event: RiskEvent) -> str:
    d = event.details
    due = moment(d["due_at"])
    if d.get("subject") == "acceptance":
        if event.rating == "red":
            text = gettext(
                "Red acceptance of contract %(contract)s: next action not done by its "
                "deadline %(due)s UTC"
            )
        else:
            text = gettext(
                "Yellow acceptance of contract %(contract)s: next action not done by its "
                "deadline %(due)s UTC"
            )
        return text % {"contract": d["contract"], "due": due}
    if d.get("clock") == "first_response":
        text = gettext(
            "%(request)s (%(severity)s): first response not given by its deadline %(due)s UTC"
        )
    else:
        text = gettext(
            "%(request)s (%(severity)s): resolution not given by its deadline %(due)s UTC"
        )
    severity = SEVERITY_WORDS.get(d.get("severity"), d.get("severity", ""))
    return text % {"request": d["request"], "severity": severity, "due": due}


register_reason_wording(RiskType.ACCEPTANCE_UNACKNOWLEDGED, _acceptance_unacknowledged)
register_reason_wording(RiskType.REQUIREMENTS_UNKNOWN, _requirements_unknown)
register_reason_wording(RiskType.SLA_BREACHED, _sla_breached)


def risk_reason(event: RiskEvent) -> str:
    """`event.reason` worded in the active language; the recorded English in English, for an
    event without details (raised before them) and for details it cannot read."""
    wording = _WORDINGS.get(event.type)
    if (get_language() or "en").split("-")[0] == "en" or not event.details or wording is None:
        return event.reason
    try:
        return wording(event)
    except (KeyError, TypeError, ValueError):
        # Details written by another version of the raiser: the record is still right.
        return event.reason
