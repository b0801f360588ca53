"""How many inbox notices are unread: in the inbox page's heading and title, and kept true when a
notice is marked read with htmx (the heading's count is swapped out of band with the row)."""

import re

import pytest

from onboarding.notifications.models import InboxMessage
from tests.notifications.conftest import send

pytestmark = pytest.mark.django_db

HEADING_COUNT = re.compile(r'<span class="badge[^"]*" id="unread-count"[^>]*>(\d+) unread</span>')


@pytest.fixture
def two_unread(customer, deliver):
    for key in ("inbox:a", "inbox:b"):
        send(customer, key, channels=["in_app"])
    deliver()
    return list(InboxMessage.objects.filter(recipient=customer).order_by("id"))


def test_the_inbox_heading_and_title_say_how_many_are_unread(customer_client, two_unread):
    html = customer_client.get("/inbox/").content.decode()
    assert HEADING_COUNT.findall(html) == ["2"]  # once, in the heading: not in every row
    assert "<title>Inbox (2 unread) · Onboarding</title>" in html


def test_marking_one_read_with_htmx_swaps_the_headings_count_too(customer_client, two_unread):
    response = customer_client.post(f"/inbox/{two_unread[0].pk}/read", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert f'id="inbox-{two_unread[0].pk}"' in html
    assert re.search(r'id="unread-count" hx-swap-oob="true">1 unread</span>', html)


def test_nothing_unread_reads_zero_without_a_title_count(customer_client, two_unread):
    assert customer_client.post("/inbox/read-all").status_code == 302
    html = customer_client.get("/inbox/").content.decode()
    assert HEADING_COUNT.findall(html) == ["0"]
    assert "<title>Inbox · Onboarding</title>" in html


def test_a_notice_received_this_minute_reads_just_now(customer_client, two_unread):
    html = customer_client.get("/inbox/").content.decode()
    assert "just now" in html and "0 minutes ago" not in html
