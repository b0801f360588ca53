"""The SLA clocks on a phone: the customer's and the staff request page do not scroll sideways,
long calendar descriptions and time zones wrap."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.sessions import sign_in
from tests.sla.calendars import berlin
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def test_clock(db):
    return new_test_clock()


@pytest.fixture
def subscription(customer, test_clock):
    return subscribe_on_clock(customer, plan_with_sla_terms(), test_clock)


def _content_width(page) -> int:
    return page.evaluate("document.querySelector('main').scrollWidth")


def test_on_a_phone_the_request_pages_show_the_clocks_without_scrolling_sideways(
    page,
    live_server,
    subscription,
    test_clock,
    sysops,
    screenshot,
):
    with at(test_clock, berlin(2026, 3, 13, 17)):
        request = open_request(subscription)
    page.set_viewport_size(PHONE)

    sign_in(page.context, live_server, subscription.customer.user)
    page.goto(reverse("requests:detail", args=[request.pk]))
    expect(page.locator(".sla-clocks")).to_contain_text("First response due by 16 March 2026")
    screenshot("request-sla-customer-phone")
    assert _content_width(page) <= PHONE["width"]

    page.context.clear_cookies()
    sign_in(page.context, live_server, sysops)
    page.goto(reverse("sysops:request_detail", args=[request.pk]))
    expect(page.locator(".sla-clocks")).to_contain_text("Counted")
    screenshot("request-sla-staff-phone")
    assert _content_width(page) <= PHONE["width"]

    # The queue's Due column, and both request pages at a desktop's width.
    page.goto(reverse("sysops:request_queue"))
    expect(page.locator("main")).to_contain_text(request.reference)
    screenshot("request-sla-queue-phone")
    assert _content_width(page) <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    screenshot("request-sla-queue-desktop")
    page.goto(reverse("sysops:request_detail", args=[request.pk]))
    expect(page.locator(".sla-clocks")).to_contain_text("Counted")
    screenshot("request-sla-staff-desktop")
    assert _content_width(page) <= 1280
