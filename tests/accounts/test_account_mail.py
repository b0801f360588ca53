"""Account mail (verification, "your password changed") goes through the outbox."""

import pytest
from django.urls import reverse

from onboarding.notifications.models import Notification
from onboarding.notifications.relay import relay_drain
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_up_queues_the_verification_email_in_the_outbox(client, smtp_mail):
    client.post(
        reverse("account_signup"),
        {
            "email": "verify.me@example.com",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )
    notification = Notification.objects.get(recipient__email="verify.me@example.com")
    assert notification.channels == ["email"]
    relay_drain(worker_id="test")
    [mail] = smtp_mail.sink.to("verify.me@example.com")
    assert "/accounts/confirm-email/" in mail.text()


def test_a_password_change_is_told_by_email(customer_client, customer, smtp_mail):
    response = customer_client.post(
        reverse("account_change_password"),
        {
            "oldpassword": DEFAULT_PASSWORD,
            "password1": "another long passphrase of mine",
            "password2": "another long passphrase of mine",
        },
    )
    assert response.status_code == 302
    relay_drain(worker_id="test")
    subjects = [m.subject for m in smtp_mail.sink.to(customer.email)]
    assert any("password" in s.lower() for s in subjects), subjects
