"""A postal address written the way the destination country's post office reads it.

One function for every place an address is printed (the customer's pages, invoices and their
PDFs, contracts, emails, the staff views), so a customer's address reads the same everywhere.

- The UK, Ireland, Canada and Australia put the postal code after the town ("Bristol BS1 4DJ",
  "Toronto ON M5V 2T6", "Sydney NSW 2000"), the state or province between them;
- the US writes "Austin, TX 78701" (or "Austin 78701" without a state);
- elsewhere (continental Europe and the rest) the code comes first ("10115 Berlin"), and a
  region has a line of its own.
"""

from collections.abc import Callable

# Countries whose code follows the town, with the state or province on the town's line.
CODE_AFTER_TOWN = frozenset({"GB", "IE", "CA", "AU"})


def town_line(*, country: str, city: str, postal_code: str, region: str) -> tuple[str, bool]:
    """(the town's line, whether it holds the region too)."""
    country = (country or "").upper()
    if country == "US":
        town = f"{city}, {region}" if city and region else city or region
        return " ".join(part for part in (town, postal_code) if part), True
    if country in CODE_AFTER_TOWN:
        return " ".join(part for part in (city, region, postal_code) if part), True
    return " ".join(part for part in (postal_code, city) if part), False


def address_lines(
    *,
    line1: str,
    line2: str,
    city: str,
    postal_code: str,
    region: str,
    country: str,
    country_name: Callable[[str], str],
) -> list[str]:
    """The address's lines, empty ones left out; the country's name (`country_name(code)`)
    last."""
    town, has_region = town_line(country=country, city=city, postal_code=postal_code, region=region)
    lines = [line1, line2, town]
    if not has_region:
        lines.append(region)
    if country:
        lines.append(country_name(country))
    return [line for line in lines if line]
