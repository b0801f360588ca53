"""A request's SLA state on the customer view fits a 375 px phone: the deadline with its zone
wraps under the request's one-line summary instead of widening the page or being cut."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.accounts.models import User
from onboarding.sla.watch import sla_clocks_check
from onboarding.sysops.services import service_request_move
from tests.browser.sessions import sign_in
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 812}


def test_the_sla_states_fit_a_phone(page, live_server, customer, sysops: User, screenshot):
    test_clock = new_test_clock()
    subscription = subscribe_on_clock(customer, plan_with_sla_terms(), test_clock)
    with at(test_clock, berlin(2026, 3, 13, 17)):
        open_request(subscription, summary="Breached one")
        paused = open_request(subscription, summary="Paused one")
    with at(test_clock, berlin(2026, 3, 16, 9)):
        service_request_move(request=paused, status="waiting_on_customer", actor=sysops)
    with at(test_clock, berlin(2026, 3, 16, 10)):
        open_request(subscription, summary="Running one with a long summary to be cut short")
    with at(test_clock, berlin(2026, 3, 16, 11)):
        sla_clocks_check()
    sign_in(page.context, live_server, sysops)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("sysops:customer", args=[subscription.customer_id]))

    due = page.locator('#open-requests [data-sla="due"]')
    expect(due).to_be_visible()
    expect(due).to_contain_text("(Europe/Berlin)")
    expect(page.locator('#open-requests [data-sla="breached"]')).to_be_visible()
    expect(page.locator('#open-requests [data-sla="paused"]')).to_be_visible()
    screenshot("staff-customer-view-sla-phone")
    assert page.evaluate("document.querySelector('main').scrollWidth") <= PHONE["width"]
    # The deadline is not cut by the summary's ellipsis: its text fits its own box.
    fits = "e => e.closest('.sla-summary').scrollWidth <= e.closest('.sla-summary').clientWidth"
    assert due.evaluate(fits)
