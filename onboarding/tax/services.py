"""The tax app's writes: the admin alert for a gap in the rates table, raised where a sale or an
invoice meets it and closed as soon as the gap is gone.

The alert is one per country (object "tax.country", the ISO code), raised until_resolved, so it
counts every sale and bill run that meets the gap. It closes by itself when a rate is in force
again: an admin's edit of the table that covers today, or an invoice issued to the country
(docs/billing.md, "Tax").
"""

from collections.abc import Iterable
from datetime import date

from django.utils import timezone

from onboarding.alerts.models import AdminAlert
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_about
from onboarding.tax.selectors import TaxRateMissing, tax_rates

TAX_MISSING_ALERT = "tax_rate_missing"
TAX_COUNTRY_OBJECT = "tax.country"


def tax_missing_alert(
    *, country: str, on: date, subscriptions: Iterable[int] = (), customer_id: int | None = None
) -> AdminAlert:
    """Tell an admin the rates table has no rate in force for `country` on `on`: one alert per
    country, counting repeats until a rate is in force again."""
    ids = sorted(subscriptions)
    return admin_alert_raise(
        reason=TAX_MISSING_ALERT,
        message=(
            f"No tax rate is in force for {country or 'a customer without a country'} on "
            f"{on:%Y-%m-%d}: nothing can be sold or invoiced to its customers until an admin "
            "adds the rate (Admin > Tax > Tax rates). This alert resolves itself once a rate "
            "is in force."
        ),
        object_type=TAX_COUNTRY_OBJECT,
        object_id=country,
        customer_id=customer_id,
        context={"day": on.isoformat(), "subscriptions": ids[:50], "count": len(ids)},
        until_resolved=True,
    )


def tax_missing_alerts_resolve(*, countries: Iterable[str], because: str) -> list[AdminAlert]:
    """Close the open alerts of `countries`, known to have a rate in force (an invoice to each
    was just issued): one query, nothing written when none is open."""
    return admin_alerts_resolve_about(
        success="tax_rate_in_force",
        object_type=TAX_COUNTRY_OBJECT,
        object_ids=countries,
        because=because,
    )


def tax_rate_gaps_closed(*, countries: Iterable[str], actor=None) -> list[AdminAlert]:
    """After an edit of the rates table: close the alerts of those of `countries` that have a
    rate in force today (or no rates at all any more, so they are untaxed, not in a gap)."""
    today, rates, covered = timezone.now().date(), tax_rates(), []
    for country in set(countries):
        try:
            rates.rate_on(country, today)
        except TaxRateMissing:
            continue
        covered.append(country)
    who = f" by {actor}" if actor is not None else ""
    return tax_missing_alerts_resolve(
        countries=covered, because=f"the rates table was edited{who}: a rate is in force today"
    )
