"""Stripe mode: an off-session charge refused with authentication_required makes the invoice
"action required"; its confirmation page loads Stripe.js with the intent's client secret (asked
of Stripe for the page, stored nowhere), and once the browser confirmed, the page's post reads the
intent and the invoice is paid. Stripe's servers are replaced by recorded exchanges."""

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState
from onboarding.notifications.models import Notification
from onboarding.payments.models import PaymentAttempt, PaymentMethod, PaymentStatus
from tests.billing.conftest import buy, today
from tests.factories import complete_profile
from tests.payments.stripe_replay import ReplayingHTTPClient

pytestmark = pytest.mark.django_db
SECRET = "pi_sca_secret_recorded"


@pytest.fixture
def stripe_http(settings, monkeypatch):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_replay"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_replay"
    http = ReplayingHTTPClient("charge_requires_authentication.json")
    monkeypatch.setattr(stripe._stripe_client, "new_default_http_client", lambda **kw: http)
    return http


def test_stripe_confirm_card_payment_pays_the_invoice(stripe_http, plan, customer, client):
    profile = complete_profile(customer.customer)
    PaymentMethod.objects.create(
        customer=profile,
        gateway="stripe",
        token="cus_Q1/pm_1",
        brand="visa",
        last4="3184",
        exp_month=12,
        exp_year=timezone.now().year + 2,
    )
    buy(profile, plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get()
    attempt = PaymentAttempt.objects.get()
    assert invoice.payment_state == PaymentState.ACTION_REQUIRED
    assert (attempt.status, attempt.gateway_charge_id) == (PaymentStatus.REQUIRES_ACTION, "pi_sca")
    invoice_follow_up(invoice_id=invoice.pk)

    client.force_login(customer)
    url = reverse("billing:invoice_confirm", args=[invoice.pk])
    page = client.get(url).content.decode()
    assert "https://js.stripe.com/v3/" in page and "stripe-confirm-payment.js" in page
    assert f'data-client-secret="{SECRET}"' in page and 'data-payment-method="pm_1"' in page

    client.post(url, {"decision": "done"})

    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_state) == (InvoiceStatus.PAID, PaymentState.SUCCEEDED)
    assert stripe_http.position == 3  # every recorded exchange was used
    attempt.refresh_from_db()
    assert SECRET not in str(PaymentAttempt.objects.values().get())
    for notice in Notification.objects.all():
        assert SECRET not in notice.body_text and SECRET not in (notice.body_html or "")
