"""The inbox on a 390 px phone: its heading says how many notices are unread, and marking one
read in place lowers that count without a reload."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from onboarding.notifications.relay import relay_drain
from tests.browser.sessions import sign_in
from tests.factories import UserFactory
from tests.notifications.conftest import send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_marking_a_notice_read_lowers_the_headings_count(page, live_server, screenshot):
    user = UserFactory()
    for key in ("inbox:a", "inbox:b"):
        send(user, key, channels=["in_app"])
    relay_drain(worker_id="test-relay")
    sign_in(page.context, live_server, user)
    page.set_viewport_size(PHONE)
    page.goto(reverse("notifications:inbox"))
    count = page.locator("h1 #unread-count")
    assert count.inner_text() == "2 unread"
    assert page.title().startswith("Inbox (2 unread)")
    screenshot("inbox-unread-390")

    page.get_by_role("button", name="Mark read").first.click()
    page.wait_for_function(
        "() => document.querySelector('h1 #unread-count').textContent === '1 unread'"
    )
    expect(page.locator("#unread-count")).to_have_count(1)  # replaced, not added
    expect(page.get_by_role("button", name="Mark read")).to_have_count(1)
