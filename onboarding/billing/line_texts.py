"""The words of an invoice line, written in the language of the invoice they go on.

A line's description is stored text: it is the document's own and a re-render prints it as it
was issued. So the bill run and the plan changes write it at issue, in `Invoice.language` (the
customer's language of that day), whatever language the process runs in; a plan-change preview
writes the same lines in the customer's language, as the invoice it becomes will have them.
The functions below write in the active language (the callers override it); in English they
write exactly what they wrote before languages (tests/billing/test_periods.py pins it).
"""

import functools
from datetime import UTC, datetime

from babel.dates import format_datetime
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext, ngettext

from onboarding.billing.proration import Proration
from onboarding.catalog.models import BillingCycle, Plan

# Babel's pattern of a moment on a line, per language; English keeps its own (below).
_MOMENT_PATTERNS = {"de": "d. MMM y, HH:mm", "fr": "d MMM y 'à' HH:mm"}


def _language() -> str:
    return (get_language() or "en").split("-")[0]


@functools.lru_cache(maxsize=32)
def _support_wording(language: str, cycle: str) -> str:
    with translation.override(language):
        return {
            BillingCycle.MONTHLY: gettext("%(plan)s, monthly support"),
            BillingCycle.QUARTERLY: gettext("%(plan)s, quarterly support"),
            BillingCycle.ANNUAL: gettext("%(plan)s, annual support"),
        }[BillingCycle(cycle)]


def support_line(plan_name: str, cycle: str, language: str) -> str:
    """The bill run's line: "Business Support · Standard, monthly support", in `language`
    (one catalogue look-up per language and cycle in a process: a run writes thousands)."""
    return _support_wording(language or "en", cycle) % {"plan": plan_name}


def moment_stamp(moment: datetime) -> str:
    """A moment on an invoice line, in UTC: lines are frozen text, so one zone for everyone."""
    moment = moment.astimezone(UTC)
    pattern = _MOMENT_PATTERNS.get(_language())
    if pattern is None:
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
    return f"{format_datetime(moment, pattern, tzinfo=UTC, locale=_language())} UTC"


def duration_label(seconds: int) -> str:
    """A span in whole days and hours, for the share of a period a prorated line covers."""
    days, rest = divmod(seconds, 86400)
    hours = round(rest / 3600)
    if hours == 24:
        days, hours = days + 1, 0
    parts = [ngettext("%(count)d day", "%(count)d days", days) % {"count": days}] if days else []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    return " ".join(parts) or gettext("less than an hour")


def _unit_words(count: int) -> dict[tuple[str, str], str]:
    """The units plans use, by their English (singular, plural), as "3 seats" in the active
    language. Written out so the catalogues hold each plural form."""
    values = {"count": count}
    return {
        ("seat", "seats"): ngettext("%(count)d seat", "%(count)d seats", count) % values,
        ("device", "devices"): ngettext("%(count)d device", "%(count)d devices", count) % values,
        ("site", "sites"): ngettext("%(count)d site", "%(count)d sites", count) % values,
        ("user", "users"): ngettext("%(count)d user", "%(count)d users", count) % values,
    }


def units_label(plan: Plan, quantity: int) -> str:
    """ "3 seats", "1 seat": the plan names its unit; a unit known here is in the active
    language, another as the plan names it."""
    words = _unit_words(quantity).get((plan.unit_name, plan.unit_name_plural))
    if words is not None:
        return words
    return f"{quantity} {plan.unit_name if quantity == 1 else plan.unit_name_plural}"


# For a notice's context: written when notification_send renders it, in the notice's language.
units_label_lazy = lazy(units_label, str)


def _cycle_word(cycle: str) -> str:
    """ "monthly": the cycle's name as a word inside a sentence, in the active language."""
    return str(BillingCycle(cycle).label).lower()


cycle_word_lazy = lazy(_cycle_word, str)


def proration_lines(
    language: str,
    *,
    old: tuple[Plan, int],
    new: tuple[Plan, int],
    at: datetime,
    end: datetime,
    proration: Proration,
) -> tuple[str, str]:
    """A mid-period plan change's credit and charge descriptions, in `language`."""
    with translation.override(language or "en"):
        values = {
            "old": f"{old[0].product.name} · {old[0].name}",
            "old_terms": units_label(*old),
            "new": f"{new[0].product.name} · {new[0].name}",
            "new_terms": units_label(*new),
            "start": moment_stamp(at),
            "end": moment_stamp(end),
            "left": duration_label(proration.remaining_seconds),
            "period": duration_label(proration.period_seconds),
        }
        return (
            gettext(
                "Unused time on %(old)s (%(old_terms)s) from %(start)s to %(end)s "
                "(%(left)s of %(period)s)"
            )
            % values,
            gettext(
                "Remaining time on %(new)s (%(new_terms)s) from %(start)s to %(end)s "
                "(%(left)s of %(period)s)"
            )
            % values,
        )
