"""The whole sandbox journey with a card whose bank asks to confirm every payment (Stripe's
4000 0027 6000 3184, issue 17's "done when"): bought, the first charge waits for the customer,
the email's link leads to the confirmation page, "Confirm payment" pays the invoice and the
journey moves on. The confirmation page and the paid invoice are shot at phone width (390 px) to
var/screenshots/sca-390-<page>.png for a person to look at."""

import re

import pytest
from playwright.sync_api import expect

from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.notifications.relay import relay_drain
from tests.billing.conftest import run_tasks
from tests.browser.test_purchase_journey import add_card, fill_profile, sign_up_and_verify
from tests.factories import plan_with_prices
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EMAIL = "confirming@example.com"
PHONE = {"width": 390, "height": 844}


def confirmation_link(smtp_mail) -> str:
    def delivered():
        relay_drain(worker_id="browser-test-relay")
        for mail in smtp_mail.sink.to(EMAIL):
            found = re.search(r"https?://\S+/account/invoices/\d+/confirm/", mail.text())
            if found:
                return found.group(0)
        return None

    return wait_until(delivered, timeout=20, what=f"the ask to confirm the payment to {EMAIL}")


def test_a_payment_the_bank_asks_about_is_confirmed_and_the_invoice_paid(
    page, smtp_mail, live_server, screenshot, settings
):
    settings.SITE_URL = live_server.url
    plan_with_prices()
    sign_up_and_verify(page, smtp_mail, live_server, EMAIL)
    fill_profile(page)
    page.get_by_role("link", name="Add a card").click()
    add_card(page, "4000 0027 6000 3184")
    page.wait_for_url(re.compile(r"/buy/business-care/"))
    page.get_by_role("button", name="Confirm purchase").click()
    expect(page.get_by_text(re.compile("Thank you for your order"))).to_be_visible()

    run_tasks()  # the worker bills the purchase: the bank asks the customer to confirm
    invoice = Invoice.objects.get(customer__user__email=EMAIL)
    assert invoice.payment_state == PaymentState.ACTION_REQUIRED

    link = confirmation_link(smtp_mail)
    page.set_viewport_size(PHONE)
    page.goto("/account/")
    action = page.get_by_role("link", name="Action required — confirm this payment")
    expect(action).to_be_visible()
    action.click()
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    expect(page).to_have_url(
        link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url)
    )
    screenshot("sca-390-confirm")
    page.get_by_role("button", name="Confirm payment").click()

    expect(
        page.get_by_text(re.compile(r"the payment is confirmed and invoice .* is paid"))
    ).to_be_visible()
    screenshot("sca-390-paid")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_state) == (InvoiceStatus.PAID, PaymentState.SUCCEEDED)
    step = JourneyStep.objects.get(customer=invoice.customer, step=Step.FIRST_PAYMENT)
    assert step.state == StepState.DONE
