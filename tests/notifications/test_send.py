"""notification_send and outbox_publish: what is written, in which transaction, and how often."""

import pytest
from django.db import transaction

from onboarding.accounts.models import PreferredInbox
from onboarding.notifications.models import Notification, OutboxMessage, OutboxStatus
from onboarding.notifications.selectors import acknowledged_email_of
from onboarding.notifications.services import Attachment, outbox_publish
from tests.factories import UserFactory
from tests.notifications.conftest import send


def test_no_channels_means_the_recipients_preferred_inbox_email(customer):
    customer.preferred_inbox = PreferredInbox.EMAIL
    notification = send(customer, "pref-email")
    assert notification.channels == ["email"]
    assert list(notification.deliveries.values_list("topic", flat=True)) == ["notification.email"]


def test_no_channels_means_the_recipients_preferred_inbox_in_app(customer):
    customer.preferred_inbox = PreferredInbox.IN_APP
    notification = send(customer, "pref-in-app")
    assert notification.channels == ["in_app"]
    assert list(notification.deliveries.values_list("topic", flat=True)) == ["notification.in_app"]
    assert notification.to_email == ""


def test_explicit_channels_queue_one_outbox_row_per_channel(customer):
    notification = send(customer, "both", channels=["email", "in_app"])
    assert sorted(notification.deliveries.values_list("channel", flat=True)) == ["email", "in_app"]
    assert set(notification.deliveries.values_list("status", flat=True)) == {OutboxStatus.PENDING}


def test_the_same_dedupe_key_twice_returns_the_first_and_queues_nothing_more(customer):
    first = send(customer, "once", channels=["email", "in_app"])
    second = send(customer, "once", subject="A different subject", channels=["email"])
    assert second.pk == first.pk
    assert second.subject == first.subject
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.count() == 2


def test_to_email_overrides_the_address_of_the_email_channel(customer):
    notification = send(customer, "to", channels=["email"], to_email="billing@example.org")
    assert notification.to_email == "billing@example.org"


def test_content_is_rendered_and_frozen_at_enqueue_time(customer):
    notification = send(
        customer,
        "render",
        context={"body": "Fish & chips <b>now</b>", "action_url": "https://x.test/a"},
    )
    # The text part is not HTML-escaped; the HTML part is.
    assert "Fish & chips <b>now</b>" in notification.body_text
    assert "https://x.test/a" in notification.body_text
    assert "Fish &amp; chips &lt;b&gt;now&lt;/b&gt;" in notification.body_html


def test_a_subject_is_kept_on_one_line(customer):
    notification = send(customer, "subject", subject="Invoice\r\nBcc: everyone@example.org")
    assert "\n" not in notification.subject and "\r" not in notification.subject


def test_attachments_are_recorded_by_storage_path(customer):
    attachment = Attachment("contract.pdf", "application/pdf", "contracts/7/contract.pdf")
    notification = send(customer, "attach", channels=["email"], attachments=[attachment])
    assert notification.attachments == [
        {
            "filename": "contract.pdf",
            "content_type": "application/pdf",
            "storage_path": "contracts/7/contract.pdf",
        }
    ]


def test_an_unknown_channel_is_refused(customer):
    with pytest.raises(ValueError, match="channels"):
        send(customer, "bad-channel", channels=["pigeon"])
    assert Notification.objects.count() == 0


def test_the_message_id_is_stable_and_derived_from_the_dedupe_key(customer):
    notification = send(customer, "invoice:42:paid")
    again = Notification.objects.get(pk=notification.pk)
    assert notification.message_id == again.message_id
    assert notification.message_id.startswith("<") and notification.message_id.endswith(">")
    assert "invoice" not in notification.message_id  # a digest: the key itself is not exposed


@pytest.mark.django_db(transaction=True)
def test_a_notification_in_a_rolled_back_transaction_leaves_no_outbox_row():
    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        send(user, "rolled-back", channels=["email"])
        raise RuntimeError("the state change failed")
    assert Notification.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_notification_in_a_committed_transaction_leaves_exactly_one_outbox_row():
    user = UserFactory()
    with transaction.atomic():
        send(user, "committed", channels=["email"])
    assert OutboxMessage.objects.count() == 1
    assert Notification.objects.count() == 1


def test_outbox_publish_with_the_same_dedupe_key_returns_the_first_message(db):
    first = outbox_publish(topic="risk.raised", payload={"contract": 1}, dedupe_key="risk:1")
    second = outbox_publish(topic="risk.raised", payload={"contract": 2}, dedupe_key="risk:1")
    assert second.pk == first.pk
    assert second.payload == {"contract": 1}
    assert OutboxMessage.objects.count() == 1


def test_acknowledged_email_is_the_verified_address(customer):
    assert acknowledged_email_of(customer) == customer.email


def test_an_unverified_address_is_not_acknowledged(db):
    user = UserFactory(verified=False)
    assert acknowledged_email_of(user) is None
