"""The tax's name and legal mention as a document or page shows them, in the reader's language.

What is stored stays the code it always was, in English (`Invoice.tax_name` "VAT",
`Invoice.tax_mention` the reverse-charge sentence; the rates table's `name`): staff, the audit
log and the API's `tax_mention` read it. A document translates it when it is rendered, in the
language it was issued in (billing.documents renders inside that language), and a page in its
reader's. So a credit note in French on a German invoice says "TVA", and an English document
renders exactly as it did before languages (the English text is the stored one).
"""

from django.utils.translation import gettext, pgettext_lazy

from onboarding.tax.models import percent_of

REVERSE_CHARGE_MENTION = (
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)."
)

# The names the rates table uses (its default and tax_for's "not in the table"), translated;
# any other name an admin types is shown as typed.
_TAX_NAMES = {
    "VAT": pgettext_lazy("The tax's name on an invoice", "VAT"),
    "Tax": pgettext_lazy("The tax's name on an invoice", "Tax"),
}


def tax_name_text(name: str) -> str:
    """ "VAT" in the active language ("USt.", "TVA"); a name not known here as it is."""
    known = _TAX_NAMES.get(name)
    return str(known) if known is not None else name


def tax_label_text(name: str, rate_bp: int, reverse_charge: bool) -> str:
    """ "VAT 19%", or "VAT 0% (reverse charge)", in the active language."""
    values = {"name": tax_name_text(name), "rate": percent_of(rate_bp)}
    if reverse_charge:
        return gettext("%(name)s %(rate)s (reverse charge)") % values
    return "{name} {rate}".format(**values)


def tax_mention_text(mention: str) -> str:
    """The stored legal mention in the active language (only the reverse charge's is known)."""
    if mention == REVERSE_CHARGE_MENTION:
        return gettext(
            "Reverse charge: VAT to be accounted for by the recipient "
            "(Article 196, Council Directive 2006/112/EC)."
        )
    return mention
