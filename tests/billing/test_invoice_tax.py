"""Invoices are taxed by the customer's billing country and VAT number on the issue date, per
line, with the decision frozen at issue; a gap in the rates table stops a purchase (a field
error and an admin alert) and leaves a subscription due in the bill run (docs/billing.md, "Tax")."""

import io
from datetime import date, timedelta

import pypdf
import pytest
from django.core.files.storage import default_storage
from hypothesis import given
from hypothesis import strategies as st

from onboarding.alerts.models import AdminAlert
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import credit_note_follow_up, invoice_follow_up
from onboarding.billing.models import ImmutableInvoice, Invoice, InvoiceLine, Subscription
from onboarding.billing.refunds import net_of_gross
from onboarding.billing.services import invoice_refund
from onboarding.billing.taxes import line_tax_minor, tax_summary, totals_of
from onboarding.core.money import Money
from onboarding.tax.models import TaxRate
from onboarding.tax.selectors import REVERSE_CHARGE_MENTION, TaxRateMissing
from tests.billing.conftest import buy, ready_customer, today
from tests.factories import UserFactory, complete_profile, plan_with_prices

pytestmark = pytest.mark.django_db

SELLER_VAT = "IE6388047V"


@pytest.fixture(autouse=True)
def _seller_vat(settings):
    settings.BILLING_SELLER_TAX_ID = SELLER_VAT


def invoiced(customer, plan) -> Invoice:
    subscription = buy(customer, plan)
    bill_run_execute(run_date=today())
    return Invoice.objects.get(subscription=subscription)


def pdf_text(path: str) -> str:
    with default_storage.open(path, "rb") as handle:
        content = handle.read()
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_a_german_consumer_pays_german_vat_whatever_the_plan_says(customer):
    plan = plan_with_prices()
    invoice = invoiced(ready_customer(customer, country="DE"), plan)
    assert (invoice.tax_rate_bp, invoice.tax_country, invoice.reverse_charge) == (1900, "DE", False)
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.total_minor) == (9900, 1881, 11781)
    line = invoice.lines.get()
    assert (line.tax_rate_bp, line.tax_minor) == (1900, 1881)
    assert invoice.tax_label == "VAT 19%"
    assert invoice.seller_vat_number == SELLER_VAT


def test_a_french_business_is_reverse_charged_with_the_mention_and_both_vat_numbers(customer, plan):
    buyer = ready_customer(customer, country="FR", vat_number="FR40303265045")
    invoice = invoiced(buyer, plan)
    assert (invoice.tax_rate_bp, invoice.tax_minor, invoice.total_minor) == (0, 0, 9900)
    assert (invoice.reverse_charge, invoice.tax_mention) == (True, REVERSE_CHARGE_MENTION)
    assert (invoice.bill_to_vat_number, invoice.seller_vat_number) == ("FR40303265045", SELLER_VAT)
    [row] = invoice.tax_summary
    assert (row.label, row.net, row.tax) == (
        "VAT 0% (reverse charge)",
        Money(9900, "EUR"),
        Money(0, "EUR"),
    )

    invoice_follow_up(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    text = " ".join(pdf_text(invoice.pdf_path).split())
    assert "VAT 0% (reverse charge)" in text
    assert "Reverse charge: VAT to be accounted for by the recipient" in text
    assert f"VAT number {SELLER_VAT}" in text
    assert "VAT number FR40303265045" in text


def test_the_rate_in_force_on_the_issue_date_applies(customer, plan):
    TaxRate.objects.create(country="DE", rate_bp=2100, valid_from=today())
    invoice = invoiced(ready_customer(customer, country="DE"), plan)
    assert (invoice.tax_rate_bp, invoice.tax_minor) == (2100, 2079)


def test_the_tax_decision_is_frozen_once_issued(customer, plan):
    invoice = invoiced(ready_customer(customer, country="DE"), plan)
    for name, value in (("reverse_charge", True), ("tax_country", "FR"), ("seller_vat_number", "")):
        setattr(invoice, name, value)
        with pytest.raises(ImmutableInvoice):
            invoice.save(update_fields=[name])


def test_the_invoice_page_and_the_api_show_the_summary_per_rate(client, customer, plan):
    # A German business buying from a seller in Ireland: reverse charged.
    buyer = ready_customer(customer, country="DE", vat_number="DE136695976")
    invoice = invoiced(buyer, plan)
    client.force_login(buyer.user)
    page = client.get(f"/account/invoices/{invoice.pk}/").content.decode()
    assert "data-tax-summary" in page and "VAT 0% (reverse charge)" in page
    assert REVERSE_CHARGE_MENTION in page
    assert "DE136695976" in page and SELLER_VAT in page
    # The summary in the customer's own format (de: "99,00 €"), as the lines above it.
    summary = page[page.index("data-tax-summary") :]
    assert "99,00\xa0€" in summary and "EUR" not in summary[: summary.index("</table>")]
    body = client.get(f"/api/v1/me/invoices/{invoice.pk}").json()
    assert body["tax_summary"] == [
        {
            "rate_bp": 0,
            "label": "VAT 0% (reverse charge)",
            "net": body["subtotal"],
            "tax": body["tax"],
        }
    ]
    assert (body["tax_country"], body["reverse_charge"], body["seller_vat_number"]) == (
        "DE",
        True,
        SELLER_VAT,
    )
    assert body["tax_mention"] == REVERSE_CHARGE_MENTION
    assert body["lines"][0]["tax_rate_bp"] == 0


def test_a_credit_note_keeps_the_rates_the_invoice_was_issued_with(customer, plan, sysops):
    buyer = ready_customer(customer, country="DE")
    invoice = invoiced(buyer, plan)
    assert invoice.tax_rate_bp == 1900
    # After issue: Germany's rate changes and the customer moves to France.
    TaxRate.objects.create(country="DE", rate_bp=2500, valid_from=today() - timedelta(days=1))
    complete_profile(buyer, country="FR")

    first = invoice_refund(
        invoice=invoice, actor=sysops, amount=Money(1190, "EUR"), reason="Outage day"
    )
    assert (first.subtotal_minor, first.tax_minor) == (net_of_gross(1190, 1900), 190) == (1000, 190)
    assert list(first.lines.values_list("tax_rate_bp", flat=True)) == [1900]
    rest = invoice_refund(invoice=invoice, actor=sysops, reason="Cancelled")
    assert list(rest.lines.values_list("tax_rate_bp", flat=True)) == [1900]
    assert first.subtotal_minor + rest.subtotal_minor == invoice.subtotal_minor
    assert first.tax_minor + rest.tax_minor == invoice.tax_minor

    invoice.refresh_from_db()
    assert (invoice.tax_rate_bp, invoice.tax_country, invoice.tax_minor) == (1900, "DE", 1881)
    credit_note_follow_up(credit_note_id=rest.pk)
    rest.refresh_from_db()
    text = " ".join(pdf_text(rest.pdf_path).split())
    assert "VAT 19%" in text and f"VAT number {SELLER_VAT}" in text


def test_a_purchase_meeting_a_gap_in_the_rates_table_is_refused_and_alerted(customer, plan):
    buyer = ready_customer(customer, country="NO")
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=today() + timedelta(days=30))
    with pytest.raises(TaxRateMissing) as missing:
        buy(buyer, plan)
    assert missing.value.field == "country"
    assert "tax rate is missing on our side" in missing.value.message
    assert not Subscription.objects.exists()
    alert = AdminAlert.objects.get(reason="tax_rate_missing")
    assert (alert.object_type, alert.object_id, alert.customer_id) == (
        "tax.country",
        "NO",
        buyer.pk,
    )


def test_the_purchase_api_answers_a_rate_gap_with_a_field_error(client, customer, plan):
    buyer = ready_customer(customer, country="NO")
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=today() + timedelta(days=30))
    client.force_login(buyer.user)
    response = client.post(
        "/api/v1/me/subscriptions",
        {"plan": plan.slug, "cycle": "monthly"},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "country" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_bill_run_leaves_a_gap_due_alerts_once_and_invoices_the_rest(plan):
    gap = ready_customer(UserFactory(), country="NO")
    others = [ready_customer(UserFactory(), country=c) for c in ("GB", "DE", "FR")]
    left = buy(gap, plan)
    for other in others:
        buy(other, plan)
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=today() + timedelta(days=30))

    progress = bill_run_execute(run_date=today(), batch_size=1)
    assert progress.issued == 3
    assert sorted(Invoice.objects.values_list("tax_rate_bp", flat=True)) == [1900, 2000, 2000]
    assert not Invoice.objects.filter(subscription=left).exists()
    stays = Subscription.objects.get(pk=left.pk)
    assert (stays.next_invoice_at, stays.current_period_start) == (left.next_invoice_at, None)
    alert = AdminAlert.objects.get(reason="tax_rate_missing")
    assert alert.context["subscriptions"] == [left.pk]

    bill_run_execute(run_date=today())  # still missing: the same alert counts, no new one
    assert AdminAlert.objects.filter(reason="tax_rate_missing").count() == 1
    assert AdminAlert.objects.get(reason="tax_rate_missing").count == 2

    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=date(2000, 1, 1))
    bill_run_execute(run_date=today())
    assert Invoice.objects.get(subscription=left).tax_rate_bp == 2500


rates = st.integers(min_value=0, max_value=10000)
nets = st.integers(min_value=-(10**9), max_value=10**10)


@given(st.lists(st.tuples(nets, rates), min_size=1, max_size=12))
def test_every_invoices_lines_add_up_with_tax_rounded_per_line(lines):
    taxed = [(net, rate, line_tax_minor(net, rate, "EUR")) for net, rate in lines]
    for net, rate, tax in taxed:
        # Half up, away from zero, on the line's own net: |tax - net*rate/10000| <= 1/2.
        assert abs(tax * 20000 - net * rate * 2) <= 10000
    totals = totals_of((net, tax) for net, _rate, tax in taxed)
    assert totals.subtotal_minor == sum(net for net, _rate, _tax in taxed)
    assert totals.tax_minor == sum(tax for _net, _rate, tax in taxed)
    assert totals.total_minor == totals.subtotal_minor + totals.tax_minor
    summary = tax_summary(taxed, currency="EUR")
    assert len({row.rate_bp for row in summary}) == len(summary) == len({r for _, r, _ in taxed})
    assert sum(row.net.amount_minor for row in summary) == totals.subtotal_minor
    assert sum(row.tax.amount_minor for row in summary) == totals.tax_minor


def test_issued_invoices_lines_add_up_in_the_database(plan):
    for country in ("GB", "DE", "HU", "LU", "US"):
        buy(ready_customer(UserFactory(), country=country), plan)
    bill_run_execute(run_date=today())
    for invoice in Invoice.objects.prefetch_related("lines"):
        lines = list(invoice.lines.all())
        assert invoice.subtotal_minor == sum(line.amount_minor for line in lines)
        assert invoice.tax_minor == sum(line.tax_minor for line in lines)
        assert invoice.total_minor == invoice.subtotal_minor + invoice.tax_minor
        assert all(line.tax_rate_bp == invoice.tax_rate_bp for line in lines)
    assert InvoiceLine.objects.filter(tax_rate_bp=2700).exists()  # Hungary's 27%


def test_the_next_invoice_follows_a_change_of_country_and_the_first_keeps_its_rate(customer, plan):
    buyer = ready_customer(customer)  # GB
    first = invoiced(buyer, plan)
    complete_profile(buyer, country="DE")
    bill_run_execute(run_date=first.period_end.date())
    second = Invoice.objects.exclude(pk=first.pk).get()
    assert (second.tax_rate_bp, second.tax_country, second.issue_date) == (
        1900,
        "DE",
        first.period_end.date(),
    )
    first.refresh_from_db()
    assert (first.tax_rate_bp, first.tax_country, first.tax_minor) == (2000, "GB", 1980)
    # The subscription's price is shown with the rate its latest invoice took.
    assert Subscription.objects.get(pk=first.subscription_id).tax_rate_bp == 1900


def test_the_staff_invoice_page_shows_the_decision_and_the_summary(sysops_client, customer, plan):
    invoice = invoiced(ready_customer(customer, country="HU"), plan)
    page = sysops_client.get(f"/staff/invoices/{invoice.pk}/").content.decode()
    assert "VAT 27%, HU" in page
    assert "data-tax-summary" in page and "26.73 EUR" in page  # 27% of 99.00
    assert f"ours {SELLER_VAT}" in page
