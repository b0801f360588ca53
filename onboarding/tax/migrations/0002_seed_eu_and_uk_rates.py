"""The standard VAT rates of the EU member states and the United Kingdom, with the day each took
effect, as published by the European Commission ("VAT rates applied in the Member States") and
HMRC. Temporary rates are rows of their own followed by the rate that came back, so an invoice
dated in such a period finds the rate in force then. Admins keep the table current in the admin.
"""

from datetime import date

from django.db import migrations

# (country, rate in basis points, first day)
RATES = [
    ("AT", 2000, date(1984, 1, 1)),
    ("BE", 2100, date(1996, 1, 1)),
    ("BG", 2000, date(1999, 1, 1)),
    ("CY", 1900, date(2014, 1, 13)),
    ("CZ", 2100, date(2013, 1, 1)),
    ("DE", 1900, date(2007, 1, 1)),
    ("DE", 1600, date(2020, 7, 1)),
    ("DE", 1900, date(2021, 1, 1)),
    ("DK", 2500, date(1992, 1, 1)),
    ("EE", 2000, date(2009, 7, 1)),
    ("EE", 2200, date(2024, 1, 1)),
    ("EE", 2400, date(2025, 7, 1)),
    ("ES", 2100, date(2012, 9, 1)),
    ("FI", 2400, date(2013, 1, 1)),
    ("FI", 2550, date(2024, 9, 1)),
    ("FR", 2000, date(2014, 1, 1)),
    ("GR", 2400, date(2016, 6, 1)),
    ("HR", 2500, date(2012, 3, 1)),
    ("HU", 2700, date(2012, 1, 1)),
    ("IE", 2300, date(2012, 1, 1)),
    ("IE", 2100, date(2020, 9, 1)),
    ("IE", 2300, date(2021, 3, 1)),
    ("IT", 2200, date(2013, 10, 1)),
    ("LT", 2100, date(2009, 9, 1)),
    ("LU", 1700, date(2015, 1, 1)),
    ("LU", 1600, date(2023, 1, 1)),
    ("LU", 1700, date(2024, 1, 1)),
    ("LV", 2100, date(2012, 7, 1)),
    ("MT", 1800, date(2004, 1, 1)),
    ("NL", 2100, date(2012, 10, 1)),
    ("PL", 2300, date(2011, 1, 1)),
    ("PT", 2300, date(2011, 1, 1)),
    ("RO", 1900, date(2017, 1, 1)),
    ("RO", 2100, date(2025, 8, 1)),
    ("SE", 2500, date(1990, 7, 1)),
    ("SI", 2200, date(2013, 7, 1)),
    ("SK", 2000, date(2011, 1, 1)),
    ("SK", 2300, date(2025, 1, 1)),
    ("GB", 2000, date(2011, 1, 4)),
]


def seed(apps, schema_editor):
    TaxRate = apps.get_model("tax", "TaxRate")
    TaxRate.objects.bulk_create(
        [
            TaxRate(
                country=country,
                rate_bp=rate_bp,
                valid_from=valid_from,
                note="Standard rate, seeded with the project",
            )
            for country, rate_bp, valid_from in RATES
        ],
        ignore_conflicts=True,
    )


def unseed(apps, schema_editor):
    TaxRate = apps.get_model("tax", "TaxRate")
    for country, _rate_bp, valid_from in RATES:
        TaxRate.objects.filter(country=country, valid_from=valid_from).delete()


class Migration(migrations.Migration):
    dependencies = [("tax", "0001_tax_rates")]

    operations = [migrations.RunPython(seed, unseed)]
