"""Rendering contracts to HTML and PDF (WeasyPrint), and the certificate of acceptance.

A contract template is a Django template written by the business, so it gets plain values only
(dicts, strings, dates), never model instances: a template cannot reach a password hash or a
related row by walking attributes. WeasyPrint may fetch nothing but data: URLs, so a template
cannot make the server read files or call other hosts.
"""

import hashlib
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.template import Context, engines
from django.template.base import Template
from django.template.loader import render_to_string
from django.utils import translation
from django_countries import countries

from onboarding.catalog.models import BillingCycle, Tier
from onboarding.contracts.models import Contract, ContractAcceptance, ContractTemplate
from onboarding.core.money import locale_for
from onboarding.tax.models import percent_of
from onboarding.tax.selectors import REVERSE_CHARGE_MENTION
from onboarding.tax.wording import tax_mention_text, tax_name_text

_CYCLE_UNITS = {"monthly": "month", "quarterly": "quarter", "annual": "year"}


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    sha256: str


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def pdf_from_html(*, html: str, css: str = "") -> RenderedPdf:
    """Render HTML (+ CSS) to PDF bytes with WeasyPrint; nothing outside data: URLs is fetched."""
    # Imported here, not at the top: WeasyPrint takes over a second to import, and only the
    # processes that render (the worker, a certificate download) should pay for it.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=5)
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    stylesheets = [CSS(string=css, url_fetcher=fetcher)] if css.strip() else []
    content = document.write_pdf(stylesheets=stylesheets, custom_metadata=False)
    if not content.startswith(b"%PDF-"):
        raise RuntimeError("WeasyPrint did not produce a PDF")
    return RenderedPdf(content=content, sha256=sha256_hex(content))


def _provider() -> dict:
    lines = [line.strip() for line in settings.CONTRACT_PROVIDER_ADDRESS.split("|")]
    return {"name": settings.CONTRACT_PROVIDER_NAME, "address_lines": [x for x in lines if x]}


def _day(moment) -> date | None:
    return moment.date() if moment is not None else None


def _tax_treatment(contract: Contract, country: str) -> dict:
    """The tax decision the price was drawn up with: a reverse charge with its mention and both
    VAT numbers, or the rate of the customer's country the prices are net of."""
    return {
        # Stored in English ("VAT"); written in the contract's language (tax.wording).
        "name": tax_name_text(contract.tax_name),
        "rate": percent_of(contract.tax_rate_bp),
        # Whether tax is added at all: a sale taxed at 0% gets a sentence of its own.
        "charged": contract.tax_rate_bp > 0,
        "label": contract.tax_label,
        "country": country,
        "country_name": str(countries.name(country)) if country else "",
        "reverse_charge": contract.reverse_charge,
        "mention": tax_mention_text(REVERSE_CHARGE_MENTION) if contract.reverse_charge else "",
        # Today's setting for a contract made before contracts recorded it.
        "seller_vat_number": contract.seller_vat_number or settings.BILLING_SELLER_TAX_ID,
        "customer_vat_number": contract.customer_vat_number,
    }


def contract_context(*, contract: Contract, version: int) -> dict:
    """Everything a contract template may show, as plain values, in the contract's language
    whatever language is active (its hash must not depend on who rendered it); money as that
    language writes it in the customer's country (core.money.locale_for)."""
    with translation.override(contract.language):
        return _contract_context(contract, version)


def _contract_context(contract: Contract, version: int) -> dict:
    customer = contract.customer
    country = contract.money_country
    locale = locale_for(country=country, language=contract.language)
    terms = contract.service_terms or {}
    previous = contract.previous
    tier = terms.get("tier", "")
    return {
        "provider": _provider(),
        "customer": {
            "name": customer.display_name,
            "reference": customer.reference,
            "address_lines": customer.billing_address_lines,
            "email": customer.user.email,
            "contacts": [
                {"name": c.name, "role": c.role, "email": c.email} for c in customer.contacts.all()
            ],
        },
        "product": {
            "name": contract.product_name,
            "description": terms.get("product_description", ""),
        },
        "plan": {
            "name": contract.plan_name,
            "tier": Tier(tier).label if tier in Tier.values else tier,
            "summary": terms.get("summary", ""),
            "response_time_hours": terms.get("response_time_hours", ""),
            "includes": list(terms.get("includes", [])),
        },
        "contract": {
            "number": contract.number,
            "issued_on": _day(contract.issued_at),
            "term_index": contract.term_index,
            "term_start": _day(contract.term_start),
            "term_end": _day(contract.term_end),
            "term_months": contract.term_months,
            "renews_number": previous.number if previous is not None else "",
            "cycle": BillingCycle(contract.cycle).label.lower(),
            "cycle_unit": _CYCLE_UNITS.get(contract.cycle, contract.cycle),
            "currency": contract.currency,
            "price": contract.price.format(locale=locale),
            "tax": contract.tax.format(locale=locale),
            "tax_rate": f"{contract.tax_rate_bp / 100:g}%",
            "price_with_tax": contract.price_with_tax.format(locale=locale),
        },
        "tax_treatment": _tax_treatment(contract, country),
        "document": {"version": version},
    }


def compile_template(source: str) -> Template:
    """The template engine's own compile (raises TemplateSyntaxError on a broken template)."""
    return engines["django"].engine.from_string(source)


def contract_html(*, template: ContractTemplate, context: dict) -> str:
    # In the template's language (dates too) whoever renders it.
    with translation.override(template.language):
        return compile_template(template.html).render(Context(context, autoescape=True))


def contract_pdf(*, contract: Contract, template: ContractTemplate, version: int) -> RenderedPdf:
    html = contract_html(
        template=template, context=contract_context(contract=contract, version=version)
    )
    return pdf_from_html(html=html, css=template.css)


def certificate_pdf(*, acceptance: ContractAcceptance) -> RenderedPdf:
    """The certificate of acceptance: a fixed layout of the acceptance record."""
    contract = acceptance.contract
    # In the language of the version acknowledged, whoever renders it.
    with translation.override(acceptance.language):
        html = _certificate_html(contract, acceptance)
    return pdf_from_html(html=html)


def _certificate_html(contract: Contract, acceptance: ContractAcceptance) -> str:
    return render_to_string(
        "contracts/pdf/certificate.html",
        {
            "provider": _provider(),
            "contract": contract,
            "customer": contract.customer,
            "acceptance": acceptance,
            "document": acceptance.document,
            # The language version acknowledged, named in its own language ("Deutsch").
            "language_name": translation.get_language_info(acceptance.language)["name_local"],
        },
    )


def sample_context() -> dict:
    """A made-up contract, for checking a new template version renders before it is published."""
    return {
        "provider": _provider(),
        "customer": {
            "name": "Example Ltd",
            "reference": "CUS-000000",
            "address_lines": ["1 Example Street", "EX1 1EX Exampleton"],
            "email": "someone@example.com",
            "contacts": [{"name": "Sam Example", "role": "Billing", "email": "sam@example.com"}],
        },
        "product": {"name": "Example product", "description": "What the plan covers."},
        "plan": {
            "name": "Example plan",
            "tier": "Business",
            "summary": "Business-hours support",
            "response_time_hours": 8,
            "includes": ["Email support", "Phone support"],
        },
        "contract": {
            "number": "CTR-0000-000000",
            "issued_on": date(2026, 1, 1),
            "term_index": 1,
            "term_start": date(2026, 1, 1),
            "term_end": date(2027, 1, 1),
            "term_months": 12,
            "renews_number": "",
            "cycle": "monthly",
            "cycle_unit": "month",
            "currency": "EUR",
            "price": "€99.00",
            "tax": "€0.00",
            "tax_rate": "0%",
            "price_with_tax": "€99.00",
        },
        "tax_treatment": {
            "name": "VAT",
            "rate": "0%",
            "label": "VAT 0% (reverse charge)",
            "country": "FR",
            "country_name": "France",
            "reverse_charge": True,
            "mention": REVERSE_CHARGE_MENTION,
            "seller_vat_number": "IE6388047V",
            "customer_vat_number": "FR40303265045",
        },
        "document": {"version": 1},
    }
