"""An empty inbox says what it is for and where the notices go instead: a customer who gets them
by email is told the address and where to change it."""

from django.urls import reverse

from onboarding.accounts.models import PreferredInbox
from tests.notifications.conftest import send


def test_an_empty_inbox_says_notices_go_by_email_to_the_address(customer, customer_client):
    customer.preferred_inbox = PreferredInbox.EMAIL
    customer.save(update_fields=["preferred_inbox"])
    html = customer_client.get(reverse("notifications:inbox")).content.decode()
    assert 'data-empty="inbox"' in html
    assert "keeps the notices we send you" in html
    assert f"You get them by email, at <strong>{customer.email}</strong>" in html
    assert reverse("accounts:profile") in html
    assert "<thead>" not in html  # no table header above nothing
    assert "Page 1 of 1" not in html


def test_an_empty_inbox_of_an_in_app_reader_says_notices_arrive_here(customer, customer_client):
    customer.preferred_inbox = PreferredInbox.IN_APP
    customer.save(update_fields=["preferred_inbox"])
    html = customer_client.get(reverse("notifications:inbox")).content.decode()
    assert "new notices appear as they are sent" in html
    assert "You get them by email" not in html


def test_an_inbox_with_messages_shows_them_not_the_empty_note(customer, customer_client, deliver):
    send(customer, "inbox:1", channels=["in_app"], subject="Your invoice is paid")
    deliver()
    html = customer_client.get(reverse("notifications:inbox")).content.decode()
    assert "Your invoice is paid" in html
    assert 'data-empty="inbox"' not in html
