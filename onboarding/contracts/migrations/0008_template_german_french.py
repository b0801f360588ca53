"""Seed the contract's legal text in German and French: version 1 of each language, a faithful
translation of the shipped English version 3 (same layout and stylesheet, same values). Each
language has its own versions from here on; a contract uses the newest version of the language
it was issued in. The text lives here, frozen, as the English versions' does: a stored document
is never rendered again, and an English contract renders exactly as before."""

import importlib

from django.db import migrations

ENGLISH = importlib.import_module("onboarding.contracts.migrations.0006_template_version_3")
CSS = ENGLISH.CSS

# The price table's unit ("Price per month") from the context's English key.
_DE_UNIT = (
    '{% if contract.cycle_unit == "month" %}Monat{% elif contract.cycle_unit == "quarter" %}'
    'Quartal{% elif contract.cycle_unit == "year" %}Jahr{% else %}{{ contract.cycle_unit }}'
    "{% endif %}"
)
_FR_UNIT = (
    '{% if contract.cycle_unit == "month" %}mois{% elif contract.cycle_unit == "quarter" %}'
    'trimestre{% elif contract.cycle_unit == "year" %}an{% else %}{{ contract.cycle_unit }}'
    "{% endif %}"
)

GERMAN = """<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Supportvertrag {{ contract.number }}</title>
</head>
<body>
<header class="masthead">
  <p class="provider">{{ provider.name }}</p>
  <h1>Supportvertrag</h1>
  <p class="number">Vertragsnummer <strong class="contract-number">{{ contract.number }}</strong></p>
  <p class="meta">Ausgestellt am {{ contract.issued_on|date:"j. F Y" }} &middot; Laufzeit {{ contract.term_index }}
    &middot; Dokumentversion {{ document.version }}</p>
</header>

<section>
  <h2>1. Die Vertragsparteien</h2>
  <table class="parties">
    <tr>
      <th>Anbieter</th>
      <td>{{ provider.name }}{% for line in provider.address_lines %}<br>{{ line }}{% endfor %}</td>
    </tr>
    <tr>
      <th>Kunde</th>
      <td>{{ customer.name }} (Kundennummer {{ customer.reference }}){% for line in customer.address_lines %}<br>{{ line }}{% endfor %}
        {% if customer.email %}<br>{{ customer.email }}{% endif %}</td>
    </tr>
  </table>
  {% if customer.contacts %}
  <p class="small">Ansprechpersonen des Kunden:
    {% for contact in customer.contacts %}{{ contact.name }} ({{ contact.role }}, {{ contact.email }}){% if not forloop.last %}; {% endif %}{% endfor %}</p>
  {% endif %}
</section>

<section>
  <h2>2. Erfasstes Produkt</h2>
  <p><strong>{{ product.name }}</strong></p>
  {% if product.description %}<p>{{ product.description }}</p>{% endif %}
</section>

<section>
  <h2>3. Leistungsbedingungen</h2>
  <p>Tarif <strong>{{ plan.name }}</strong> ({{ plan.tier }}){% if plan.summary %}: {{ plan.summary }}{% endif %}.</p>
  <p>Der Anbieter beantwortet jede Supportanfrage innerhalb von {{ plan.response_time_hours }} Stunden.</p>
  {% if plan.includes %}
  <p>Die Leistung umfasst:</p>
  <ul>{% for item in plan.includes %}<li>{{ item }}</li>{% endfor %}</ul>
  {% endif %}
</section>

<section>
  <h2>4. Laufzeit</h2>
  <p>Dieser Vertrag läuft {{ contract.term_months }} Monat{{ contract.term_months|pluralize:"e" }},
    vom {{ contract.term_start|date:"j. F Y" }} bis zum {{ contract.term_end|date:"j. F Y" }} (UTC).
    {% if contract.renews_number %}Er verlängert den Vertrag {{ contract.renews_number }}.{% endif %}</p>
  <p>Sofern keine der Parteien ihn kündigt, verlängert er sich um eine weitere Laufzeit, solange
    das Abonnement abgerechnet wird. Eine Kündigung beendet die Abrechnung zum Ende des bereits
    bezahlten Zeitraums.</p>
</section>

<section>
  <h2>5. Preis und Abrechnung</h2>
  <table class="price">
    <tr><th>Preis pro UNIT</th><td>{{ contract.price }}</td></tr>
    <tr><th>{{ tax_treatment.label }}</th><td>{{ contract.tax }}</td></tr>
    <tr><th>Gesamt pro UNIT</th><td>{{ contract.price_with_tax }}</td></tr>
    <tr><th>Abrechnungszeitraum</th><td>{{ contract.cycle }}</td></tr>
    <tr><th>Währung</th><td>{{ contract.currency }}</td></tr>
  </table>
  {% if tax_treatment.reverse_charge %}
  <p class="tax-treatment">Die Preise verstehen sich ohne {{ tax_treatment.name }}. Es wird keine {{ tax_treatment.name }} berechnet: Der Kunde, ein in {{ tax_treatment.country_name|default:"einem anderen Mitgliedstaat" }} für die {{ tax_treatment.name }} registriertes Unternehmen, schuldet sie selbst.</p>
  <p class="tax-mention">{{ tax_treatment.mention }}</p>
  {% else %}
  {% if tax_treatment.charged %}
  <p class="tax-treatment">Die Preise verstehen sich ohne {{ tax_treatment.name }}. Die {{ tax_treatment.name }} wird jeder Rechnung zu dem an ihrem Datum geltenden Satz {{ tax_treatment.country_name|default:"des Landes des Kunden" }} hinzugefügt: {{ tax_treatment.rate }} bei Abschluss dieses Vertrags.</p>
  {% else %}
  <p class="tax-treatment">Die Preise sind ohne Steuer angegeben. Bei Abschluss dieses Vertrags wird auf Verkäufe nach {{ tax_treatment.country_name|default:"dem Land des Kunden" }} keine Steuer erhoben; fällt künftig eine an, wird sie jeder Rechnung zu dem an ihrem Datum geltenden Satz hinzugefügt.</p>
  {% endif %}
  {% endif %}
  {% if tax_treatment.seller_vat_number or tax_treatment.customer_vat_number %}
  <table class="vat-numbers">
    {% if tax_treatment.seller_vat_number %}<tr><th>USt-IdNr. des Anbieters</th><td>{{ tax_treatment.seller_vat_number }}</td></tr>{% endif %}
    {% if tax_treatment.customer_vat_number %}<tr><th>USt-IdNr. des Kunden</th><td>{{ tax_treatment.customer_vat_number }}</td></tr>{% endif %}
  </table>
  {% endif %}
</section>

<section>
  <h2>6. Bestätigung</h2>
  <p>Der Kunde bestätigt diesen Vertrag im Kundenportal, indem er seinen Namen eingibt. Die
    Bestätigung hält fest, wer ihn bestätigt hat, wann, und den SHA-256-Fingerabdruck genau dieses
    Dokuments. Ein geänderter Vertrag wird als neue Version ausgestellt und erneut bestätigt.</p>
</section>
</body>
</html>
""".replace("UNIT", _DE_UNIT)

FRENCH = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Contrat de support {{ contract.number }}</title>
</head>
<body>
<header class="masthead">
  <p class="provider">{{ provider.name }}</p>
  <h1>Contrat de support</h1>
  <p class="number">Numéro de contrat <strong class="contract-number">{{ contract.number }}</strong></p>
  <p class="meta">Émis le {{ contract.issued_on|date:"j F Y" }} &middot; période {{ contract.term_index }}
    &middot; version du document {{ document.version }}</p>
</header>

<section>
  <h2>1. Les parties</h2>
  <table class="parties">
    <tr>
      <th>Prestataire</th>
      <td>{{ provider.name }}{% for line in provider.address_lines %}<br>{{ line }}{% endfor %}</td>
    </tr>
    <tr>
      <th>Client</th>
      <td>{{ customer.name }} (client {{ customer.reference }}){% for line in customer.address_lines %}<br>{{ line }}{% endfor %}
        {% if customer.email %}<br>{{ customer.email }}{% endif %}</td>
    </tr>
  </table>
  {% if customer.contacts %}
  <p class="small">Contacts du client&nbsp;:
    {% for contact in customer.contacts %}{{ contact.name }} ({{ contact.role }}, {{ contact.email }}){% if not forloop.last %}&nbsp;; {% endif %}{% endfor %}</p>
  {% endif %}
</section>

<section>
  <h2>2. Produit couvert</h2>
  <p><strong>{{ product.name }}</strong></p>
  {% if product.description %}<p>{{ product.description }}</p>{% endif %}
</section>

<section>
  <h2>3. Conditions de service</h2>
  <p>Formule <strong>{{ plan.name }}</strong> ({{ plan.tier }}){% if plan.summary %}&nbsp;: {{ plan.summary }}{% endif %}.</p>
  <p>Le prestataire répond à chaque demande de support dans un délai de {{ plan.response_time_hours }} heures.</p>
  {% if plan.includes %}
  <p>Le service comprend&nbsp;:</p>
  <ul>{% for item in plan.includes %}<li>{{ item }}</li>{% endfor %}</ul>
  {% endif %}
</section>

<section>
  <h2>4. Durée</h2>
  <p>Ce contrat court sur {{ contract.term_months }} mois,
    du {{ contract.term_start|date:"j F Y" }} au {{ contract.term_end|date:"j F Y" }} (UTC).
    {% if contract.renews_number %}Il renouvelle le contrat {{ contract.renews_number }}.{% endif %}</p>
  <p>Sauf résiliation par l'une des parties, il est renouvelé pour une nouvelle période tant que
    l'abonnement est facturé. Une résiliation arrête la facturation à la fin de la période déjà
    payée.</p>
</section>

<section>
  <h2>5. Prix et facturation</h2>
  <table class="price">
    <tr><th>Prix par UNIT</th><td>{{ contract.price }}</td></tr>
    <tr><th>{{ tax_treatment.label }}</th><td>{{ contract.tax }}</td></tr>
    <tr><th>Total par UNIT</th><td>{{ contract.price_with_tax }}</td></tr>
    <tr><th>Périodicité de facturation</th><td>{{ contract.cycle }}</td></tr>
    <tr><th>Devise</th><td>{{ contract.currency }}</td></tr>
  </table>
  {% if tax_treatment.reverse_charge %}
  <p class="tax-treatment">Les prix s'entendent hors {{ tax_treatment.name }}. Aucune {{ tax_treatment.name }} n'est facturée&nbsp;: le client, une entreprise immatriculée à la {{ tax_treatment.name }} en {{ tax_treatment.country_name|default:"un autre État membre" }}, en est redevable.</p>
  <p class="tax-mention">{{ tax_treatment.mention }}</p>
  {% else %}
  {% if tax_treatment.charged %}
  <p class="tax-treatment">Les prix s'entendent hors {{ tax_treatment.name }}. La {{ tax_treatment.name }} est ajoutée à chaque facture au taux en vigueur à sa date dans le pays suivant&nbsp;: {{ tax_treatment.country_name|default:"le pays du client" }}&nbsp;; {{ tax_treatment.rate }} lors de l'établissement de ce contrat.</p>
  {% else %}
  <p class="tax-treatment">Les prix sont indiqués hors taxes. Aucune taxe n'est perçue sur les ventes à destination du pays suivant lors de l'établissement de ce contrat&nbsp;: {{ tax_treatment.country_name|default:"le pays du client" }}&nbsp;; si une taxe venait à s'appliquer, elle serait ajoutée à chaque facture au taux en vigueur à sa date.</p>
  {% endif %}
  {% endif %}
  {% if tax_treatment.seller_vat_number or tax_treatment.customer_vat_number %}
  <table class="vat-numbers">
    {% if tax_treatment.seller_vat_number %}<tr><th>Numéro de TVA du prestataire</th><td>{{ tax_treatment.seller_vat_number }}</td></tr>{% endif %}
    {% if tax_treatment.customer_vat_number %}<tr><th>Numéro de TVA du client</th><td>{{ tax_treatment.customer_vat_number }}</td></tr>{% endif %}
  </table>
  {% endif %}
</section>

<section>
  <h2>6. Acceptation</h2>
  <p>Le client accepte ce contrat dans le portail client en saisissant son nom. L'acceptation
    enregistre qui l'a acceptée, quand, et l'empreinte SHA-256 de ce document précis. Un contrat
    modifié est émis sous une nouvelle version et doit être accepté à nouveau.</p>
</section>
</body>
</html>
""".replace("UNIT", _FR_UNIT)

# The running footer's "Page 1 of 2", in each language.
GERMAN_CSS = CSS.replace('"Page " counter(page) " of " counter(pages)', '"Seite " counter(page) " von " counter(pages)')
FRENCH_CSS = CSS.replace('"Page " counter(page) " of " counter(pages)', '"Page " counter(page) " sur " counter(pages)')
assert GERMAN_CSS != CSS and FRENCH_CSS != CSS

VERSIONS = {
    "de": (GERMAN, GERMAN_CSS, "Deutsche Fassung des Vertragstexts (englische Version 3)."),
    "fr": (FRENCH, FRENCH_CSS, "Version française du texte du contrat (version anglaise 3)."),
}


def seed(apps, schema_editor):
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    for language, (html, css, note) in VERSIONS.items():
        if not ContractTemplate.objects.filter(language=language).exists():
            ContractTemplate.objects.create(
                language=language, version=1, html=html, css=css, note=note
            )


def unseed(apps, schema_editor):
    # Only if no document used them (PROTECT refuses otherwise).
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    for language, (_html, _css, note) in VERSIONS.items():
        ContractTemplate.objects.filter(language=language, version=1, note=note).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0007_document_language")]

    operations = [migrations.RunPython(seed, unseed)]
