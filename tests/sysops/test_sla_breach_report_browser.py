"""The SLA breach report on a phone: the chart scales to the screen, the table stacks, nothing
scrolls sideways."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.sla.models import ClockKind, ClockOutcome
from tests.browser.sessions import sign_in
from tests.sysops.conftest import open_request, subscribe
from tests.sysops.sla_terms import plan_with_sla_terms
from tests.sysops.test_sla_breach_report import stamp, utc

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def test_on_a_phone_the_breach_report_fits_the_screen(
    page, live_server, customer, sysops, screenshot
):
    subscription = subscribe(customer, plan_with_sla_terms())
    for outcome in (ClockOutcome.MET, ClockOutcome.MISSED):
        request = open_request(subscription)
        stamp(request, ClockKind.FIRST_RESPONSE, stopped=utc(3, 2), outcome=outcome)
        stamp(request, ClockKind.RESOLUTION, breached=utc(3, 9))
    page.set_viewport_size(PHONE)
    sign_in(page.context, live_server, sysops)
    page.goto(reverse("sysops:sla_breach_report") + "?month=2026-03")
    expect(page.locator("table.sla-report tbody tr")).to_have_count(2)
    expect(page.locator(".sla-chart svg")).to_have_count(2)  # one bar per plan and clock
    expect(page.locator(".sla-chart svg").first).to_be_visible()
    screenshot("sla-breach-report-phone")
    assert page.evaluate("document.querySelector('main').scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.locator("table.sla-report tbody tr")).to_have_count(2)
    screenshot("sla-breach-report-desktop")
