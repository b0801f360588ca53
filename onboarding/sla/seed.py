"""Seed data: service-hours calendars, public holidays of DE, FR, GB and US for 2026-2028, an
SLA policy per severity for every plan of the catalogue, chosen by its tier, and the plan's
service credit terms (the percent a breach earns, the cap per invoice).

Idempotent: rows that exist (an admin may have edited them) are left as they are; a policy
whose credit percent was never set (null, as sla.0004 leaves the older rows) gets its tier's.
GB holidays are England and Wales's bank holidays; US ones are the federal holidays on the day
they are observed; DE and FR only the nationwide ones.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from onboarding.catalog.models import Plan, Tier
from onboarding.sla.events import sla_seeded
from onboarding.sla.models import (
    PublicHoliday,
    ServiceCreditCap,
    ServiceHours,
    ServiceWindow,
    Severity,
    SlaPolicy,
)

H = dt.timedelta(hours=1)

# country: (year, month, day, name)
PUBLIC_HOLIDAYS: dict[str, list[tuple[int, int, int, str]]] = {
    "DE": [
        (2026, 1, 1, "New Year's Day"),
        (2026, 4, 3, "Good Friday"),
        (2026, 4, 6, "Easter Monday"),
        (2026, 5, 1, "Labour Day"),
        (2026, 5, 14, "Ascension Day"),
        (2026, 5, 25, "Whit Monday"),
        (2026, 10, 3, "German Unity Day"),
        (2026, 12, 25, "Christmas Day"),
        (2026, 12, 26, "Second Day of Christmas"),
        (2027, 1, 1, "New Year's Day"),
        (2027, 3, 26, "Good Friday"),
        (2027, 3, 29, "Easter Monday"),
        (2027, 5, 1, "Labour Day"),
        (2027, 5, 6, "Ascension Day"),
        (2027, 5, 17, "Whit Monday"),
        (2027, 10, 3, "German Unity Day"),
        (2027, 12, 25, "Christmas Day"),
        (2027, 12, 26, "Second Day of Christmas"),
        (2028, 1, 1, "New Year's Day"),
        (2028, 4, 14, "Good Friday"),
        (2028, 4, 17, "Easter Monday"),
        (2028, 5, 1, "Labour Day"),
        (2028, 5, 25, "Ascension Day"),
        (2028, 6, 5, "Whit Monday"),
        (2028, 10, 3, "German Unity Day"),
        (2028, 12, 25, "Christmas Day"),
        (2028, 12, 26, "Second Day of Christmas"),
    ],
    "FR": [
        (2026, 1, 1, "New Year's Day"),
        (2026, 4, 6, "Easter Monday"),
        (2026, 5, 1, "Labour Day"),
        (2026, 5, 8, "Victory in Europe Day"),
        (2026, 5, 14, "Ascension Day"),
        (2026, 5, 25, "Whit Monday"),
        (2026, 7, 14, "Bastille Day"),
        (2026, 8, 15, "Assumption of Mary"),
        (2026, 11, 1, "All Saints' Day"),
        (2026, 11, 11, "Armistice Day"),
        (2026, 12, 25, "Christmas Day"),
        (2027, 1, 1, "New Year's Day"),
        (2027, 3, 29, "Easter Monday"),
        (2027, 5, 1, "Labour Day"),
        (2027, 5, 6, "Ascension Day"),
        (2027, 5, 8, "Victory in Europe Day"),
        (2027, 5, 17, "Whit Monday"),
        (2027, 7, 14, "Bastille Day"),
        (2027, 8, 15, "Assumption of Mary"),
        (2027, 11, 1, "All Saints' Day"),
        (2027, 11, 11, "Armistice Day"),
        (2027, 12, 25, "Christmas Day"),
        (2028, 1, 1, "New Year's Day"),
        (2028, 4, 17, "Easter Monday"),
        (2028, 5, 1, "Labour Day"),
        (2028, 5, 8, "Victory in Europe Day"),
        (2028, 5, 25, "Ascension Day"),
        (2028, 6, 5, "Whit Monday"),
        (2028, 7, 14, "Bastille Day"),
        (2028, 8, 15, "Assumption of Mary"),
        (2028, 11, 1, "All Saints' Day"),
        (2028, 11, 11, "Armistice Day"),
        (2028, 12, 25, "Christmas Day"),
    ],
    "GB": [
        (2026, 1, 1, "New Year's Day"),
        (2026, 4, 3, "Good Friday"),
        (2026, 4, 6, "Easter Monday"),
        (2026, 5, 4, "Early May bank holiday"),
        (2026, 5, 25, "Spring bank holiday"),
        (2026, 8, 31, "Summer bank holiday"),
        (2026, 12, 25, "Christmas Day"),
        (2026, 12, 28, "Boxing Day (substitute day)"),
        (2027, 1, 1, "New Year's Day"),
        (2027, 3, 26, "Good Friday"),
        (2027, 3, 29, "Easter Monday"),
        (2027, 5, 3, "Early May bank holiday"),
        (2027, 5, 31, "Spring bank holiday"),
        (2027, 8, 30, "Summer bank holiday"),
        (2027, 12, 27, "Christmas Day (substitute day)"),
        (2027, 12, 28, "Boxing Day (substitute day)"),
        (2028, 1, 3, "New Year's Day (substitute day)"),
        (2028, 4, 14, "Good Friday"),
        (2028, 4, 17, "Easter Monday"),
        (2028, 5, 1, "Early May bank holiday"),
        (2028, 5, 29, "Spring bank holiday"),
        (2028, 8, 28, "Summer bank holiday"),
        (2028, 12, 25, "Christmas Day"),
        (2028, 12, 26, "Boxing Day"),
    ],
    "US": [
        (2026, 1, 1, "New Year's Day"),
        (2026, 1, 19, "Birthday of Martin Luther King, Jr."),
        (2026, 2, 16, "Washington's Birthday"),
        (2026, 5, 25, "Memorial Day"),
        (2026, 6, 19, "Juneteenth National Independence Day"),
        (2026, 7, 3, "Independence Day (observed)"),
        (2026, 9, 7, "Labor Day"),
        (2026, 10, 12, "Columbus Day"),
        (2026, 11, 11, "Veterans Day"),
        (2026, 11, 26, "Thanksgiving Day"),
        (2026, 12, 25, "Christmas Day"),
        (2027, 1, 1, "New Year's Day"),
        (2027, 1, 18, "Birthday of Martin Luther King, Jr."),
        (2027, 2, 15, "Washington's Birthday"),
        (2027, 5, 31, "Memorial Day"),
        (2027, 6, 18, "Juneteenth National Independence Day (observed)"),
        (2027, 7, 5, "Independence Day (observed)"),
        (2027, 9, 6, "Labor Day"),
        (2027, 10, 11, "Columbus Day"),
        (2027, 11, 11, "Veterans Day"),
        (2027, 11, 25, "Thanksgiving Day"),
        (2027, 12, 24, "Christmas Day (observed)"),
        (2027, 12, 31, "New Year's Day (observed)"),
        (2028, 1, 17, "Birthday of Martin Luther King, Jr."),
        (2028, 2, 21, "Washington's Birthday"),
        (2028, 5, 29, "Memorial Day"),
        (2028, 6, 19, "Juneteenth National Independence Day"),
        (2028, 7, 4, "Independence Day"),
        (2028, 9, 4, "Labor Day"),
        (2028, 10, 9, "Columbus Day"),
        (2028, 11, 10, "Veterans Day (observed)"),
        (2028, 11, 23, "Thanksgiving Day"),
        (2028, 12, 25, "Christmas Day"),
    ],
}

BUSINESS_HOURS = "Business hours (Mon-Fri 08:00-18:00, Berlin)"
EXTENDED_HOURS = "Extended hours (Mon-Fri 07:00-20:00, Berlin)"
ROUND_THE_CLOCK = "24/7"


@dataclass(frozen=True)
class CalendarSeed:
    time_zone: str
    always_open: bool
    holiday_country: str
    opens: dt.time | None = None
    closes: dt.time | None = None
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    # Count in the customer's zone and country (docs/sla.md): set when the seed creates the
    # calendar only; an existing calendar keeps what the admins made of it.
    follows_customer: bool = False


CALENDARS = {
    BUSINESS_HOURS: CalendarSeed(
        "Europe/Berlin", False, "DE", dt.time(8), dt.time(18), follows_customer=True
    ),
    EXTENDED_HOURS: CalendarSeed(
        "Europe/Berlin", False, "DE", dt.time(7), dt.time(20), follows_customer=True
    ),
    ROUND_THE_CLOCK: CalendarSeed("Europe/Berlin", True, ""),
}

# tier: calendar, {severity: (first response, resolution)} in service time.
POLICIES: dict[str, tuple[str, dict[str, tuple[dt.timedelta, dt.timedelta]]]] = {
    Tier.ESSENTIAL: (
        BUSINESS_HOURS,
        {
            Severity.CRITICAL: (4 * H, 16 * H),
            Severity.HIGH: (8 * H, 30 * H),
            Severity.NORMAL: (24 * H, 50 * H),
            Severity.LOW: (40 * H, 100 * H),
        },
    ),
    Tier.BUSINESS: (
        EXTENDED_HOURS,
        {
            Severity.CRITICAL: (2 * H, 8 * H),
            Severity.HIGH: (4 * H, 16 * H),
            Severity.NORMAL: (8 * H, 32 * H),
            Severity.LOW: (16 * H, 64 * H),
        },
    ),
    Tier.ENTERPRISE: (
        ROUND_THE_CLOCK,
        {
            Severity.CRITICAL: (H / 2, 4 * H),
            Severity.HIGH: (1 * H, 8 * H),
            Severity.NORMAL: (2 * H, 24 * H),
            Severity.LOW: (8 * H, 72 * H),
        },
    ),
}


# tier: (credit per breached clock, first response or resolution, in percent of one period's
# net price; cap on the credits against one invoice, in percent of its total).
CREDIT_TERMS: dict[str, tuple[int, int]] = {
    Tier.ESSENTIAL: (5, 20),
    Tier.BUSINESS: (10, 30),
    Tier.ENTERPRISE: (10, 50),
}


@dataclass(frozen=True)
class SeedResult:
    policies_created: int
    holidays_created: int
    credit_terms_added: int = 0


def _holidays_load() -> int:
    existing = set(PublicHoliday.objects.values_list("country", "date"))
    new = [
        PublicHoliday(country=country, date=dt.date(y, m, d), name=name)
        for country, rows in PUBLIC_HOLIDAYS.items()
        for y, m, d, name in rows
        if (country, dt.date(y, m, d)) not in existing
    ]
    PublicHoliday.objects.bulk_create(new)
    return len(new)


def _calendar(name: str) -> ServiceHours:
    seed = CALENDARS[name]
    hours, created = ServiceHours.objects.get_or_create(
        name=name,
        defaults={
            "time_zone": seed.time_zone,
            "always_open": seed.always_open,
            "holiday_country": seed.holiday_country,
            "follows_customer": seed.follows_customer,
        },
    )
    if created and not seed.always_open:
        ServiceWindow.objects.bulk_create(
            ServiceWindow(service_hours=hours, weekday=day, opens=seed.opens, closes=seed.closes)
            for day in seed.weekdays
        )
    return hours


def _credit_terms_fill(plan: Plan) -> int:
    """The plan's credit terms where missing: the percent of its policies that have none (rows
    older than sla.0004) and its cap. Returns how many were added."""
    percent, cap = CREDIT_TERMS[plan.tier]
    added = SlaPolicy.objects.filter(plan=plan, breach_credit_percent__isnull=True).update(
        breach_credit_percent=percent
    )
    _, created = ServiceCreditCap.objects.get_or_create(
        plan=plan, defaults={"percent_of_invoice": cap}
    )
    return added + created


def sla_seed() -> SeedResult:
    """Fill in what is missing; audited when anything was added."""
    with transaction.atomic():
        holidays = _holidays_load()
        policies = credit_terms = 0
        for plan in Plan.objects.order_by("pk"):
            calendar_name, times = POLICIES[plan.tier]
            hours = _calendar(calendar_name)
            for severity, (first_response, resolution) in times.items():
                _, created = SlaPolicy.objects.get_or_create(
                    plan=plan,
                    severity=severity,
                    defaults={
                        "first_response": first_response,
                        "resolution": resolution,
                        "service_hours": hours,
                        "breach_credit_percent": CREDIT_TERMS[plan.tier][0],
                    },
                )
                policies += created
            credit_terms += _credit_terms_fill(plan)
        if policies or holidays or credit_terms:
            sla_seeded(
                policies_created=policies,
                holidays_created=holidays,
                credit_terms_added=credit_terms,
            )
    return SeedResult(
        policies_created=policies, holidays_created=holidays, credit_terms_added=credit_terms
    )
