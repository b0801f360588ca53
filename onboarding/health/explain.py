"""A health factor's explanation in the reader's language (issue 20).

The score records each factor's explanation in English (events, webhooks and the audit read it)
and, beside it, what it says as codes and numbers (`parts`, scoring.FactorScore). A page or a
notice words the parts here in the active language. English is the recorded text itself, so it
stays byte for byte what the score wrote; a score recorded before the parts existed has none
and is shown as recorded.
"""

import datetime as dt

from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext, ngettext, ngettext_lazy

from onboarding.health.models import Factor


def _date(iso: str | None) -> str:
    return formats.date_format(dt.date.fromisoformat(iso), "DATE_FORMAT") if iso else ""


def _and(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _requests_open(p: dict) -> str:
    words = {
        "critical": lambda n: gettext("%(count)d critical") % {"count": n},
        "high": lambda n: gettext("%(count)d high") % {"count": n},
        "normal": lambda n: gettext("%(count)d normal") % {"count": n},
        "low": lambda n: gettext("%(count)d low") % {"count": n},
    }
    counts = [(severity, int(p.get(severity) or 0)) for severity in words]
    listed = _and([words[severity](n) for severity, n in counts if n])
    total = sum(n for _severity, n in counts)
    return ngettext("%(list)s request open", "%(list)s requests open", total) % {"list": listed}


def _acceptance(p: dict) -> str:
    red = p.get("rating") == "red"
    if p["code"] == "acceptance_in_hand":
        if red:
            return gettext("Acceptance is red, a manager is on it")
        return gettext("Acceptance is yellow, a manager is on it")
    days = int(p["days"])
    if red:
        text = ngettext(
            "Acceptance is red, unacknowledged for %(days)d day",
            "Acceptance is red, unacknowledged for %(days)d days",
            days,
        )
    else:
        text = ngettext(
            "Acceptance is yellow, unacknowledged for %(days)d day",
            "Acceptance is yellow, unacknowledged for %(days)d days",
            days,
        )
    return text % {"days": days}


def _counted(text, key: str = "count"):
    """A part with one number, `text` an ngettext_lazy keyed by that number's name (so that
    makemessages finds both forms)."""

    def word(p: dict) -> str:
        return str(text % {key: int(p[key])})

    return word


def _contract_unacknowledged(p: dict) -> str:
    days = int(p["days"])
    if days == 0:
        return gettext("contract sent today, not acknowledged yet")
    return ngettext(
        "contract sent %(days)d day ago, not acknowledged yet",
        "contract sent %(days)d days ago, not acknowledged yet",
        days,
    ) % {"days": days}


def _none_in_force(p: dict) -> str:
    if p.get("ended_on"):
        return gettext("No contract in force, the last ended on %(date)s") % {
            "date": _date(p["ended_on"])
        }
    return gettext("No contract in force")


def _card_expired(p: dict) -> str:
    if p.get("expired_on"):
        return gettext("Card expired on %(date)s") % {"date": _date(p["expired_on"])}
    return gettext("Card expired")


def _card_expires(p: dict) -> str:
    days = int(p["days"])
    if days == 0:
        return gettext("Card expires today")
    return ngettext("Card expires in %(days)d day", "Card expires in %(days)d days", days) % {
        "days": days
    }


def _overdue_many(p: dict) -> str:
    days = int(p["days"])
    return ngettext(
        "%(count)d invoices overdue, the oldest %(days)d day",
        "%(count)d invoices overdue, the oldest %(days)d days",
        days,
    ) % {"count": int(p["count"]), "days": days}


PARTS = {
    "overdue_one": _counted(
        ngettext_lazy(
            "1 invoice overdue by %(days)d day", "1 invoice overdue by %(days)d days", "days"
        ),
        "days",
    ),
    "overdue_many": _overdue_many,
    "payment_failed": _counted(
        ngettext_lazy(
            "payment failed on %(count)d invoice, in dunning",
            "payment failed on %(count)d invoices, in dunning",
            "count",
        )
    ),
    "payment_action_required": _counted(
        ngettext_lazy(
            "%(count)d payment waiting for the customer to confirm",
            "%(count)d payments waiting for the customer to confirm",
            "count",
        )
    ),
    "uncollectible": _counted(
        ngettext_lazy(
            "%(count)d invoice written off as uncollectible",
            "%(count)d invoices written off as uncollectible",
            "count",
        )
    ),
    "open_not_due": _counted(
        ngettext_lazy(
            "%(count)d invoice open, not yet due", "%(count)d invoices open, not yet due", "count"
        )
    ),
    "nothing_owed": lambda p: gettext("Nothing owed"),
    "acceptance_fine": lambda p: gettext("No yellow or red acceptance"),
    "acceptance_in_hand": _acceptance,
    "acceptance_unacknowledged": _acceptance,
    "no_contract_yet": lambda p: gettext("No contract yet"),
    "none_in_force": _none_in_force,
    "contract_unacknowledged": _contract_unacknowledged,
    "cancel_at_period_end": lambda p: gettext("set to cancel at the end of the period"),
    "contract_ends": _counted(
        ngettext_lazy("contract ends in %(days)d day", "contract ends in %(days)d days", "days"),
        "days",
    ),
    "contract_fine": lambda p: gettext("Contract acknowledged and in force"),
    "requests_open": _requests_open,
    "sla_breaches": _counted(
        ngettext_lazy(
            "%(count)d SLA breach in 90 days", "%(count)d SLA breaches in 90 days", "count"
        )
    ),
    "service_fine": lambda p: gettext("No open requests, no SLA breach in 90 days"),
    "no_card_to_pay": _counted(
        ngettext_lazy(
            "No card on file, %(count)d invoice to pay",
            "No card on file, %(count)d invoices to pay",
            "count",
        )
    ),
    "no_card_nothing_to_pay": lambda p: gettext("No card on file, nothing to pay"),
    "card_valid": lambda p: gettext("Card valid"),
    "card_expired": _card_expired,
    "card_expires": _card_expires,
    "never_signed_in": _counted(
        ngettext_lazy(
            "never signed in, joined %(days)d day ago",
            "never signed in, joined %(days)d days ago",
            "days",
        ),
        "days",
    ),
    "last_signed_in": _counted(
        ngettext_lazy(
            "last signed in %(days)d day ago", "last signed in %(days)d days ago", "days"
        ),
        "days",
    ),
    "notices_unread": _counted(
        ngettext_lazy("%(count)d notice unread", "%(count)d notices unread", "count")
    ),
    "engagement_fine": lambda p: gettext("Signed in within 30 days"),
}


def english_reader() -> bool:
    return (get_language() or "en").split("-")[0] == "en"


def factor_explanation(entry: dict) -> str:
    """One factor's explanation (a recorded factor dict) in the active language: the recorded
    English in English, or when it has no parts (recorded before them) or an unknown code."""
    recorded = str(entry.get("explanation", ""))
    parts = entry.get("parts") or []
    if english_reader() or not parts or any(p.get("code") not in PARTS for p in parts):
        return recorded
    text = "; ".join(PARTS[p["code"]](p) for p in parts)
    return text[:1].upper() + text[1:]


def costliest(factors: list[dict], count: int = 3) -> list[dict]:
    """CustomerHealth.costliest's choice over a recorded list of factors."""
    costing = [f for f in factors if f.get("cost", 0) > 0]
    return sorted(costing, key=lambda f: -f["cost"])[:count]


def red_reason(score: int, factors: list[dict], recorded: str = "") -> str:
    """'Health 32 (red). Payment -24: 2 invoices overdue, the oldest 34 days. ...' in the active
    language (services.health_red_reason writes the English record). `recorded` is returned in
    English and when a factor has no parts (a score recorded before them)."""
    top = costliest(factors)
    if recorded and (english_reader() or not all(f.get("parts") for f in top)):
        return recorded
    shown = [
        f"{Factor(f['factor']).label} -{f['cost']}: {factor_explanation(f)}"
        for f in top
        if f.get("factor") in Factor.values
    ]
    return " ".join([gettext("Health %(score)d (red).") % {"score": score}, ". ".join(shown)])


red_reason_lazy = lazy(red_reason, str)


def red_details(score: int, factors: list[dict]) -> dict:
    """What a risk raised by a fall into red records beside its English reason (risk/reasons.py)."""
    return {"score": score, "factors": costliest(factors)}


def _risk_red(event) -> str:
    d = event.details
    return red_reason(int(d["score"]), d["factors"], recorded=event.reason)


def _risk_unacknowledged(event) -> str:
    from onboarding.risk.reasons import moment

    d = event.details
    if not all(f.get("parts") for f in d["factors"]):
        return event.reason  # the review's snapshot was recorded before the parts existed
    head = gettext("%(customer)s fell into red and no manager acknowledged it by %(due)s UTC.") % {
        "customer": d["customer"],
        "due": moment(d["due_at"]),
    }
    return f"{head} {red_reason(int(d['score']), d['factors'])}"


def register_risk_wordings() -> None:
    """The risk board words health's risks through this module (health/apps.py, at load)."""
    from onboarding.risk.models import RiskType
    from onboarding.risk.reasons import register_reason_wording

    register_reason_wording(RiskType.HEALTH_RED, _risk_red)
    register_reason_wording(RiskType.HEALTH_UNACKNOWLEDGED, _risk_unacknowledged)
