"""API shapes every app shares: money is one object everywhere in the JSON API."""

from ninja import Schema
from pydantic import AliasChoices, Field


class MoneyOut(Schema):
    """Money: integer minor units of an ISO 4217 currency, and the amount as people read it."""

    amount_minor: int = Field(..., description="Integer minor units (cents; yen for JPY)")
    currency: str = Field(..., description="ISO 4217 code")
    # Read from Money.format (ninja calls a callable it reads), or from an answer already shaped.
    display: str = Field(
        ...,
        validation_alias=AliasChoices("display", "format"),
        description='For people, e.g. "1,234.50 EUR"; not for arithmetic',
    )


def deprecated(instead: str) -> dict:
    """A flat money field kept for one release beside its object: marked so in the OpenAPI."""
    return {"deprecated": True, "description": f"Deprecated: read {instead}."}
