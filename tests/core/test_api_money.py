"""Money in the JSON API is one object (MoneyOut); the flat fields beside it are deprecated."""

import re

import pytest

MONEY = {"$ref": "#/components/schemas/MoneyOut"}


@pytest.fixture
def schemas(client, db) -> dict:
    return client.get("/api/v1/openapi.json").json()["components"]["schemas"]


def test_every_flat_amount_is_deprecated_and_names_its_object(schemas):
    flat = {
        (name, field): spec
        for name, schema in schemas.items()
        if name.endswith("Out") and name != "MoneyOut"
        for field, spec in schema.get("properties", {}).items()
        if field.endswith("_minor")
    }
    assert ("InvoiceSummaryOut", "total_minor") in flat and ("PaymentOut", "refunded_minor") in flat
    for (name, field), spec in flat.items():
        assert spec.get("deprecated") is True, (name, field)
        instead = re.fullmatch(r"Deprecated: read (\w+)\.amount_minor\.", spec["description"])
        assert instead, (name, field, spec["description"])
        money = schemas[name]["properties"][instead[1]]
        # The object itself, or the object or null (a catalogue price's tax without ?country=).
        refs = [money.get("$ref"), *(option.get("$ref") for option in money.get("anyOf", []))]
        assert MONEY["$ref"] in refs, (name, field)


def test_a_formatted_string_keeps_its_name_and_the_object_is_name_money(schemas):
    for name, field in [("InvoiceSummaryOut", "total"), ("PaymentOut", "amount")]:
        properties = schemas[name]["properties"]
        assert properties[field]["type"] == "string" and properties[field]["deprecated"] is True
        assert properties[f"{field}_money"] == MONEY
