"""The managers' service credit pages in the browser: a proposal from a breach, approved from
the list at a phone's width (nothing scrolls sideways), with the credit note it issued."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.billing.billrun import bill_run_execute
from tests.browser.sessions import sign_in
from tests.sysops.conftest import open_request, subscribe, today
from tests.sysops.sla_terms import breach, credit_terms, plan_with_sla_terms

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def _content_width(page) -> int:
    return page.evaluate("document.querySelector('main').scrollWidth")


def test_a_manager_approves_a_proposed_credit_on_a_phone(
    page, live_server, customer, manager, screenshot
):
    plan = plan_with_sla_terms()
    credit_terms(plan)
    subscription = subscribe(customer, plan)
    bill_run_execute(run_date=today())
    request = open_request(subscription)
    breach(request)
    page.set_viewport_size(PHONE)

    sign_in(page.context, live_server, manager)
    page.goto(reverse("sysops:service_credits"))
    row = page.locator("tbody tr").filter(has_text=request.reference)
    expect(row).to_contain_text("11.88 EUR")
    expect(row).to_contain_text("Proposed")
    screenshot("service-credits-phone")
    assert _content_width(page) <= PHONE["width"]
    # The managers' navigation entry is this page's, and the page still fits the phone.
    entry = page.locator('.staff-nav [data-nav="service_credits"][aria-current="page"]')
    expect(entry).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    row.get_by_role("link", name="SC-").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("11.88 EUR")
    page.get_by_label("Issue this credit now").check()
    page.get_by_role("button", name="Approve 11.88 EUR").click()
    expect(page.get_by_text("approved: credit note CN-")).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Approved")
    screenshot("service-credit-approved-phone")
    assert _content_width(page) <= PHONE["width"]
