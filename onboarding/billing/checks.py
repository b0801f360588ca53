"""`manage.py check --deploy` warns when production would issue invoices without the seller's
VAT number. A warning, not an error: a seller below the VAT threshold has none to print."""

from django.conf import settings
from django.core import checks


def check_seller_tax_id(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.ENVIRONMENT != "production" or settings.BILLING_SELLER_TAX_ID.strip():
        return []
    return [
        checks.Warning(
            "BILLING_SELLER_TAX_ID is empty: invoices and credit notes are issued without "
            "the seller's VAT number.",
            hint="Set BILLING_SELLER_TAX_ID to your VAT number (e.g. GB123456789); "
            "it prints on every invoice and credit note.",
            id="billing.W001",
        )
    ]
