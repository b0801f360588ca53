"""Seed contract template version 2: version 1 with the tax treatment in "Price and billing"
(a reverse charge with its mention and both VAT numbers, or the rate of the customer's country
the prices are net of) and the currency; the footer in the body's font. Its text lives here, frozen, as version 1's does:
documents already stored keep version 1 (their PDF and its SHA-256 are never rendered again);
new documents, and new versions of amended contracts, use this one."""

from django.db import migrations

HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Support contract {{ contract.number }}</title>
</head>
<body>
<header class="masthead">
  <p class="provider">{{ provider.name }}</p>
  <h1>Support contract</h1>
  <p class="number">Contract number <strong class="contract-number">{{ contract.number }}</strong></p>
  <p class="meta">Issued {{ contract.issued_on|date:"j F Y" }} &middot; term {{ contract.term_index }}
    &middot; document version {{ document.version }}</p>
</header>

<section>
  <h2>1. The parties</h2>
  <table class="parties">
    <tr>
      <th>Provider</th>
      <td>{{ provider.name }}{% for line in provider.address_lines %}<br>{{ line }}{% endfor %}</td>
    </tr>
    <tr>
      <th>Customer</th>
      <td>{{ customer.name }} (customer {{ customer.reference }}){% for line in customer.address_lines %}<br>{{ line }}{% endfor %}
        {% if customer.email %}<br>{{ customer.email }}{% endif %}</td>
    </tr>
  </table>
  {% if customer.contacts %}
  <p class="small">Customer contacts:
    {% for contact in customer.contacts %}{{ contact.name }} ({{ contact.role }}, {{ contact.email }}){% if not forloop.last %}; {% endif %}{% endfor %}</p>
  {% endif %}
</section>

<section>
  <h2>2. Product covered</h2>
  <p><strong>{{ product.name }}</strong></p>
  {% if product.description %}<p>{{ product.description }}</p>{% endif %}
</section>

<section>
  <h2>3. Service terms</h2>
  <p>Plan <strong>{{ plan.name }}</strong> ({{ plan.tier }}){% if plan.summary %}: {{ plan.summary }}{% endif %}.</p>
  <p>The provider answers every support request within {{ plan.response_time_hours }} hours.</p>
  {% if plan.includes %}
  <p>The service includes:</p>
  <ul>{% for item in plan.includes %}<li>{{ item }}</li>{% endfor %}</ul>
  {% endif %}
</section>

<section>
  <h2>4. Term</h2>
  <p>This contract runs for {{ contract.term_months }} month{{ contract.term_months|pluralize }},
    from {{ contract.term_start|date:"j F Y" }} until {{ contract.term_end|date:"j F Y" }} (UTC).
    {% if contract.renews_number %}It renews contract {{ contract.renews_number }}.{% endif %}</p>
  <p>Unless either party cancels it, it renews for a further term while the subscription is
    billed. A cancellation stops billing at the end of the period already paid.</p>
</section>

<section>
  <h2>5. Price and billing</h2>
  <table class="price">
    <tr><th>Price per {{ contract.cycle_unit }}</th><td>{{ contract.price }}</td></tr>
    <tr><th>{{ tax_treatment.label }}</th><td>{{ contract.tax }}</td></tr>
    <tr><th>Total per {{ contract.cycle_unit }}</th><td>{{ contract.price_with_tax }}</td></tr>
    <tr><th>Billing cycle</th><td>{{ contract.cycle }}</td></tr>
    <tr><th>Currency</th><td>{{ contract.currency }}</td></tr>
  </table>
  {% if tax_treatment.reverse_charge %}
  <p class="tax-treatment">Prices are net of {{ tax_treatment.name }}. No {{ tax_treatment.name }} is charged: the customer, a business registered for {{ tax_treatment.name }} in {{ tax_treatment.country_name|default:"another member state" }}, accounts for it.</p>
  <p class="tax-mention">{{ tax_treatment.mention }}</p>
  {% else %}
  <p class="tax-treatment">Prices are net of {{ tax_treatment.name }}. {{ tax_treatment.name }} is added to each invoice at the rate of {{ tax_treatment.country_name|default:"the customer's country" }} in force on its date: {{ tax_treatment.rate }} when this contract was drawn up.</p>
  {% endif %}
  {% if tax_treatment.seller_vat_number or tax_treatment.customer_vat_number %}
  <table class="vat-numbers">
    {% if tax_treatment.seller_vat_number %}<tr><th>Provider's VAT number</th><td>{{ tax_treatment.seller_vat_number }}</td></tr>{% endif %}
    {% if tax_treatment.customer_vat_number %}<tr><th>Customer's VAT number</th><td>{{ tax_treatment.customer_vat_number }}</td></tr>{% endif %}
  </table>
  {% endif %}
</section>

<section>
  <h2>6. Acknowledgement</h2>
  <p>The customer acknowledges this contract in the customer portal by typing their name. The
    acknowledgement records who acknowledged it, when, and the SHA-256 fingerprint of this exact
    document. A changed contract is issued as a new version and acknowledged again.</p>
</section>
</body>
</html>
"""

CSS = """@page {
  size: A4;
  margin: 22mm 20mm 24mm;
  @bottom-left { content: string(contract-number); font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 8pt; color: #5b6876; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 8pt; color: #5b6876; }
}
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 10pt; color: #1d2733; line-height: 1.45; }
.masthead { border-bottom: 2px solid #1f5fae; margin-bottom: 12pt; padding-bottom: 6pt; }
.provider { color: #1f5fae; font-weight: bold; margin: 0; }
h1 { font-size: 20pt; margin: 4pt 0; }
h2 { font-size: 12pt; color: #1f5fae; margin: 14pt 0 4pt; }
.contract-number { string-set: contract-number content(); }
.meta, .small { color: #5b6876; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 3pt 6pt; border-bottom: 1px solid #d9e0e7; }
th { width: 30%; color: #5b6876; font-weight: normal; }
section { page-break-inside: avoid; }
.tax-treatment { margin: 8pt 0 4pt; }
.tax-mention { font-weight: bold; margin: 4pt 0; }
.vat-numbers { margin-top: 4pt; }
"""


def seed(apps, schema_editor):
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    # Only onto a database that has the shipped version 1 as its newest: an admin's own
    # restyle (version 2 or later) stays the one new documents use.
    latest = ContractTemplate.objects.order_by("-version").first()
    if latest is not None and latest.version == 1:
        ContractTemplate.objects.create(
            version=2,
            html=HTML,
            css=CSS,
            note="Prices in the customer's locale; the tax treatment and VAT numbers.",
        )


def unseed(apps, schema_editor):
    # Only if no document used it (PROTECT refuses otherwise).
    apps.get_model("contracts", "ContractTemplate").objects.filter(
        version=2, note__startswith="Prices in the customer's locale"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0004_contract_tax_decision")]

    operations = [migrations.RunPython(seed, unseed)]
