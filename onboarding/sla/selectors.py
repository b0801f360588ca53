"""Reads: the clock's terms for a plan and severity, as plain values for service_time.py, and
a subject's clocks as its pages show them."""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Min, Q
from django.utils.translation import get_language, gettext, pgettext
from django_countries import countries

from onboarding.accounts.models import Customer
from onboarding.catalog.models import Plan
from onboarding.core.clock import customer_scope
from onboarding.sla.models import (
    ClockKind,
    ClockOutcome,
    PublicHoliday,
    ServiceCreditCap,
    ServiceHours,
    SlaClock,
    SlaPolicy,
)
from onboarding.sla.service_time import ServiceCalendar, Window, service_elapsed


@dataclass(frozen=True)
class SlaTerms:
    first_response: dt.timedelta
    resolution: dt.timedelta
    calendar: ServiceCalendar
    holidays: frozenset[dt.date]


def service_calendar_of(hours: ServiceHours, time_zone: str = "") -> ServiceCalendar:
    """The calendar's windows, read in `time_zone` (default: the calendar's own)."""
    time_zone = time_zone or hours.time_zone
    if hours.always_open:
        return ServiceCalendar.always_open(time_zone)
    return ServiceCalendar(
        time_zone=time_zone,
        windows=tuple(
            Window(
                weekday=w.weekday,
                opens=w.opens,
                closes=None if w.closes == dt.time(0) else w.closes,
            )
            for w in hours.windows.all()
        ),
    )


def holidays_of(country: str) -> frozenset[dt.date]:
    """Every public holiday of a country (a few dozen rows: small enough to take whole)."""
    if not country:
        return frozenset()
    return frozenset(PublicHoliday.objects.filter(country=country).values_list("date", flat=True))


def sla_terms_for(*, plan: Plan, severity: str) -> SlaTerms | None:
    """The plan's terms for a severity, or None where the plan promises nothing for it."""
    policy = (
        SlaPolicy.objects.select_related("service_hours")
        .prefetch_related("service_hours__windows")
        .filter(plan=plan, severity=severity)
        .first()
    )
    if policy is None:
        return None
    hours = policy.service_hours
    return SlaTerms(
        first_response=policy.first_response,
        resolution=policy.resolution,
        calendar=service_calendar_of(hours),
        holidays=holidays_of(str(hours.holiday_country or "")),
    )


@dataclass(frozen=True)
class CreditTerms:
    """What a breached clock earns under a plan: `percent` of one period's net price, with the
    credits against one invoice capped at `cap_percent` of its total."""

    percent: int
    cap_percent: int


def sla_credit_terms_for(*, plan_id: int, severity: str) -> CreditTerms | None:
    """The plan's service credit for a breach at `severity`; None when a breach earns nothing
    (no policy, its percent 0 or not set, or a cap of 0). A plan without a cap row is capped
    only by what is left to credit on the invoice (100%)."""
    percent = (
        SlaPolicy.objects.filter(plan_id=plan_id, severity=severity)
        .values_list("breach_credit_percent", flat=True)
        .first()
    )
    if not percent:
        return None
    cap = (
        ServiceCreditCap.objects.filter(plan_id=plan_id)
        .values_list("percent_of_invoice", flat=True)
        .first()
    )
    cap = 100 if cap is None else cap
    return CreditTerms(percent=percent, cap_percent=cap) if cap else None


def clock_place_for(*, hours: ServiceHours, customer: Customer) -> tuple[str, str]:
    """The (time zone, holiday country) a clock of `customer` on `hours` counts in: the
    calendar's own; where the calendar follows the customer and the customer has a zone (theirs,
    else their country's main one), that zone and the customer's country (no country: the
    calendar's holiday country)."""
    own = (hours.time_zone, str(hours.holiday_country or ""))
    if not hours.follows_customer:
        return own
    zone = customer.effective_time_zone
    if not zone:
        return own
    return zone, str(customer.country or "") or own[1]


def clock_zone_of(clock: SlaClock) -> str:
    """The zone the clock counts and is shown in (its calendar's for a clock with no zone
    kept; UTC without terms)."""
    if clock.time_zone:
        return clock.time_zone
    return clock.service_hours.time_zone if clock.service_hours_id else "UTC"


def clock_calendar_of(clock: SlaClock) -> tuple[ServiceCalendar, frozenset[dt.date]]:
    """What service_time.py needs to count the clock: its calendar's windows in the clock's
    own zone, and the holidays of the clock's own country. Every computation reads this."""
    return (
        service_calendar_of(clock.service_hours, clock_zone_of(clock)),
        holidays_of(str(clock.holiday_country or "")),
    )


# --- A subject's clocks, as pages show them ------------------------------------------------------


# Countries whose name a sentence says with "the" (and in its short form).
_COUNTRY_IN_A_SENTENCE = {
    "US": "the United States",
    "GB": "the United Kingdom",
    "NL": "the Netherlands",
    "CZ": "the Czech Republic",
    "PH": "the Philippines",
    "AE": "the United Arab Emirates",
}


def _country_in_a_sentence(code: str) -> str:
    """English says some countries with "the"; other languages take the country's own name
    in the active language."""
    if get_language() in (None, "en") or get_language().startswith("en-"):
        return _COUNTRY_IN_A_SENTENCE.get(code) or str(countries.name(code))
    return str(countries.name(code))


def _short_weekdays() -> list[str]:
    return [
        pgettext("weekday short", "Mon"),
        pgettext("weekday short", "Tue"),
        pgettext("weekday short", "Wed"),
        pgettext("weekday short", "Thu"),
        pgettext("weekday short", "Fri"),
        pgettext("weekday short", "Sat"),
        pgettext("weekday short", "Sun"),
    ]


def _days(first: int, last: int) -> str:
    short = _short_weekdays()
    return short[first] if first == last else f"{short[first]}\u2013{short[last]}"


def service_hours_summary(
    hours: ServiceHours, time_zone: str = "", holiday_country: str | None = None
) -> str:
    """The hours in a customer's words: "Mon-Fri 08:00-18:00 Europe/Berlin, closed on public
    holidays in Germany" (consecutive days with the same windows written as one range), in
    `time_zone` and `holiday_country` where given (a clock's own), else the calendar's."""
    time_zone = time_zone or hours.time_zone
    country = hours.holiday_country if holiday_country is None else holiday_country
    if hours.always_open:
        text = f"24/7 ({time_zone})"
    else:
        by_day: dict[int, str] = {}
        for window in hours.windows.all():
            closes = "24:00" if window.closes == dt.time(0) else f"{window.closes:%H:%M}"
            span = f"{window.opens:%H:%M}\u2013{closes}"
            by_day[window.weekday] = (
                f"{by_day[window.weekday]}, {span}" if window.weekday in by_day else span
            )
        runs: list[tuple[int, int, str]] = []
        for day in sorted(by_day):
            if runs and runs[-1][1] == day - 1 and runs[-1][2] == by_day[day]:
                runs[-1] = (runs[-1][0], day, by_day[day])
            else:
                runs.append((day, day, by_day[day]))
        days = "; ".join(f"{_days(first, last)} {spans}" for first, last, spans in runs)
        text = "{} {}".format(days or gettext("never open"), time_zone)
    if country:
        text += gettext(", closed on public holidays in %(country)s") % {
            "country": _country_in_a_sentence(country)
        }
    return text


@dataclass(frozen=True)
class ClockView:
    kind: str
    label: str
    has_terms: bool
    duration: dt.timedelta | None
    hours: str  # service_hours_summary, "" without terms
    time_zone: str
    started_at: dt.datetime
    due_at: dt.datetime | None
    paused: bool
    paused_since: dt.datetime | None
    stopped_at: dt.datetime | None
    outcome: str
    elapsed: dt.timedelta | None  # service time counted so far (None without terms)
    remaining: dt.timedelta | None  # service time left (zero once used up)
    overdue: bool  # running (or paused) past its deadline
    warned_at: dt.datetime | None  # when the 80% warning went out (sla/watch.py)
    breached_at: dt.datetime | None  # when the check found it running past its deadline
    # Real time past the deadline: up to now while it runs (or its pause began), up to its
    # stop once stopped late; None while on time or without terms.
    late_by: dt.timedelta | None = None
    # Why it stopped when that was not its subject's own step (SlaClock.stop_reason).
    stop_reason: str = ""

    @property
    def met(self) -> bool:
        return self.outcome == ClockOutcome.MET

    @property
    def missed(self) -> bool:
        return self.outcome == ClockOutcome.MISSED


def _view(clock: SlaClock, now: dt.datetime) -> ClockView:
    elapsed = remaining = None
    hours = clock.service_hours
    if clock.has_terms:
        calendar, holidays = clock_calendar_of(clock)
        end = clock.stopped_at or clock.paused_since or now
        pauses = [(p.started_at, p.ended_at or end) for p in clock.pauses.all()]
        elapsed = service_elapsed(
            clock.started_at, max(end, clock.started_at), calendar, holidays, pauses
        )
        remaining = max(clock.duration - elapsed, dt.timedelta(0))
    late_by = None
    if clock.due_at is not None:
        late = (clock.stopped_at or clock.paused_since or now) - clock.due_at
        late_by = late if late > dt.timedelta(0) else None
    return ClockView(
        kind=clock.kind,
        label=clock.get_kind_display(),
        has_terms=clock.has_terms and clock.due_at is not None,
        duration=clock.duration,
        hours=service_hours_summary(hours, clock_zone_of(clock), str(clock.holiday_country or ""))
        if hours is not None
        else "",
        time_zone=clock_zone_of(clock),
        started_at=clock.started_at,
        due_at=clock.due_at,
        paused=clock.is_paused,
        paused_since=clock.paused_since if clock.is_paused else None,
        stopped_at=clock.stopped_at,
        outcome=clock.outcome,
        elapsed=elapsed,
        remaining=remaining,
        overdue=clock.outcome == ClockOutcome.PENDING
        and clock.due_at is not None
        and (clock.paused_since or now) > clock.due_at,
        warned_at=clock.warned_at,
        breached_at=clock.breached_at,
        late_by=late_by,
        stop_reason=clock.stop_reason,
    )


def sla_clocks_of(*, subject: models.Model, now: dt.datetime) -> list[ClockView]:
    """The subject's clocks, first response first, as of `now` (empty: it has none)."""
    clocks = (
        SlaClock.objects.of(subject)
        .select_related("service_hours")
        .prefetch_related("pauses", "service_hours__windows")
    )
    order = {kind: n for n, kind in enumerate(ClockKind.values)}
    return [_view(clock, now) for clock in sorted(clocks, key=lambda c: order[c.kind])]


def sla_overdue_count(*, subject_type: str, kind: str, now: dt.datetime) -> int:
    """Subjects whose `kind` clock runs past its deadline at `now`, or was breached and runs on
    (a re-term after the breach moved its deadline). A paused or stopped clock is not overdue;
    neither is one without terms. In scope: real customers in real time, a test clock's own in
    its simulation. Read through the running clocks' partial index."""
    return (
        SlaClock.objects.running()
        .filter(Q(due_at__lte=now) | Q(breached_at__isnull=False), customer_scope("customer"))
        .filter(subject_type=subject_type, kind=kind)
        .count()
    )


def sla_next_due(*, subject_type: str, subject_ids: list[int]) -> dict[int, dt.datetime]:
    """Each subject's nearest deadline among its running clocks (one query for a page)."""
    rows = (
        SlaClock.objects.running()
        .filter(subject_type=subject_type, subject_id__in=subject_ids)
        .values("subject_id")
        .annotate(due=Min("due_at"))
        .order_by()
    )
    return {row["subject_id"]: row["due"] for row in rows}


def sla_clocks_by_subject(
    *, subject_type: str, subject_ids: list[int]
) -> dict[int, list[SlaClock]]:
    """Each subject's clocks (first response first) with their service hours, for a page or
    an API list: one query whatever the number of subjects."""
    clocks = (
        SlaClock.objects.filter(subject_type=subject_type, subject_id__in=subject_ids)
        .select_related("service_hours")
        .order_by("subject_id", "kind")  # "first_response" sorts before "resolution"
    )
    found: dict[int, list[SlaClock]] = {subject_id: [] for subject_id in subject_ids}
    for clock in clocks:
        found[clock.subject_id].append(clock)
    return found


@dataclass(frozen=True)
class SlaSummary:
    """A subject's clocks in a few words for a list: `state` is "breached" (a clock breached
    and still running), "due" (the nearest running deadline, `label` and `due_at` in
    `time_zone`), "paused", "missed" or "met" (all stopped), or "none" (no clock with terms)."""

    state: str
    label: str = ""
    due_at: dt.datetime | None = None
    time_zone: str = ""


def sla_summary(clocks: list[SlaClock]) -> SlaSummary:
    """What a list shows of a subject's clocks (read with sla_clocks_by_subject: no query)."""
    with_terms = [c for c in clocks if c.has_terms and c.due_at is not None]
    breached = [c for c in with_terms if c.breached_at is not None and c.stopped_at is None]
    if breached:
        return SlaSummary(state="breached", label=breached[0].get_kind_display())
    running = [c for c in with_terms if c.stopped_at is None and c.paused_since is None]
    if running:
        nearest = min(running, key=lambda c: c.due_at)
        return SlaSummary(
            state="due",
            label=nearest.get_kind_display(),
            due_at=nearest.due_at,
            time_zone=clock_zone_of(nearest),
        )
    if any(c.is_paused for c in with_terms):
        return SlaSummary(state="paused")
    if any(c.outcome == ClockOutcome.MISSED for c in with_terms):
        return SlaSummary(state="missed")
    if any(c.outcome == ClockOutcome.MET for c in with_terms):
        return SlaSummary(state="met")
    return SlaSummary(state="none")
