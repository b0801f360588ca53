"""IANA time zones: the validator the models share, and a country's main zone.

Shared by accounts (a customer's zone) and sla (a calendar's zone): core is below both."""

from functools import cache
from zoneinfo import available_timezones

from babel.core import get_global
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext

# Countries spanning several zones, where Babel's first zone for the territory is not where
# most people live (for the US it is America/Adak, the Aleutians): the zone of the capital or
# of the largest population. Every other country takes Babel's first zone.
MAIN_ZONE_OVERRIDES = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MX": "America/Mexico_City",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zones():
        raise ValidationError(
            gettext("“%(value)s” is not an IANA time zone (for example Europe/Berlin)."),
            code="invalid_time_zone",
            params={"value": value},
        )


def zones_of_country(country: str) -> list[str]:
    """The country's zones, its main zone first (empty for an unknown or blank country)."""
    zones = [z for z in get_global("territory_zones").get(country or "", []) if z in time_zones()]
    main = MAIN_ZONE_OVERRIDES.get(country)
    if main in zones:
        zones.remove(main)
        zones.insert(0, main)
    return zones


def main_time_zone(country: str) -> str | None:
    """The zone most of the country lives in, or None (no country, or one Babel has no zone
    for)."""
    zones = zones_of_country(country)
    return zones[0] if zones else None


def time_zone_choices(country: str) -> tuple[tuple[str, str], ...]:
    """A select's choices: blank (the country's main zone), the country's zones, then all;
    the blank one in the active language."""
    return _time_zone_choices(country, get_language() or "")


@cache
def _time_zone_choices(country: str, language: str) -> tuple[tuple[str, str], ...]:
    mine = zones_of_country(country)
    rest = sorted(time_zones() - set(mine) - {"localtime", "Factory"})
    # The zone first, the words after: a phone's narrow select cuts the end, not the zone.
    blank = (
        gettext("%(zone)s (your country's main zone)") % {"zone": mine[0]}
        if mine
        else gettext("Your country's main zone")
    )
    return (("", blank), *((z, z) for z in mine), *((z, z) for z in rest))
