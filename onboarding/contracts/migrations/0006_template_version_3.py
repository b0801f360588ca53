"""Seed contract template version 3: version 2 with a sentence of its own for a sale that no tax
is charged on (a customer in a country the rates table does not list, or a 0% rate), instead of
"Prices are net of Tax. Tax is added ... at the rate of Japan ... 0%". Version 2's text is frozen
in its migration, so this one is that text with the one paragraph replaced, and stays frozen too.
Documents already stored keep their version; new documents use this one."""

import importlib

from django.db import migrations

VERSION_2 = importlib.import_module("onboarding.contracts.migrations.0005_template_version_2")

_TAXED = (
    '  <p class="tax-treatment">Prices are net of {{ tax_treatment.name }}. '
    "{{ tax_treatment.name }} is added to each invoice at the rate of "
    '{{ tax_treatment.country_name|default:"the customer\'s country" }} in force on its date: '
    "{{ tax_treatment.rate }} when this contract was drawn up.</p>\n"
)
_UNTAXED = (
    "  {% if tax_treatment.charged %}\n"
    + _TAXED
    + "  {% else %}\n"
    '  <p class="tax-treatment">Prices are stated without tax. No tax is charged on sales to '
    '{{ tax_treatment.country_name|default:"the customer\'s country" }} when this contract was '
    "drawn up; if one comes to apply, it is added to each invoice at the rate in force on its "
    "date.</p>\n"
    "  {% endif %}\n"
)
assert _TAXED in VERSION_2.HTML  # the paragraph this version replaces, exactly once
HTML = VERSION_2.HTML.replace(_TAXED, _UNTAXED)
CSS = VERSION_2.CSS
NOTE = "Says plainly when no tax is charged on the prices."


def seed(apps, schema_editor):
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    # Only onto a database whose newest is the shipped version 2: an admin's own restyle stays.
    latest = ContractTemplate.objects.order_by("-version").first()
    if latest is not None and latest.version == 2 and latest.html == VERSION_2.HTML:
        ContractTemplate.objects.create(version=3, html=HTML, css=CSS, note=NOTE)


def unseed(apps, schema_editor):
    # Only if no document used it (PROTECT refuses otherwise).
    apps.get_model("contracts", "ContractTemplate").objects.filter(version=3, note=NOTE).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0005_template_version_2")]

    operations = [migrations.RunPython(seed, unseed)]
