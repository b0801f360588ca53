"""Sign-up's mail, sent for real (outbox, relay, SMTP on loopback), names the product."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from onboarding.notifications.relay import relay_drain
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1:18555"
PASSWORD = "a long and unusual passphrase"


def sign_up(client, email: str):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST=HOST,
    )


def only_mail_to(smtp_mail, address: str):
    relay_drain(worker_id="test")
    [mail] = smtp_mail.sink.to(address)
    return mail


def test_the_verification_email_names_the_product_and_carries_a_working_link(client, smtp_mail):
    sign_up(client, "new.buyer@example.com")
    mail = only_mail_to(smtp_mail, "new.buyer@example.com")

    assert mail.subject == "Welcome to Onboarding: please confirm your email address"
    assert mail.message["From"] == settings.DEFAULT_FROM_EMAIL
    text = mail.text()
    assert "Thank you for creating your Onboarding account." in text
    assert "new.buyer@example.com" in text
    assert "from !" not in text and " on ." not in text and "[" not in mail.subject
    [link] = re.findall(rf"http://{re.escape(HOST)}/accounts/confirm-email/\S+", text)
    assert f'href="{link}"' in mail.html()
    page = client.get(link.removeprefix(f"http://{HOST}"), HTTP_HOST=HOST)
    assert page.status_code == 200
    assert b"new.buyer@example.com" in page.content


def test_the_product_name_in_account_mail_comes_from_settings(client, smtp_mail, settings):
    settings.SITE_NAME = "Northwind Support"
    sign_up(client, "nancy@northwind.test")
    mail = only_mail_to(smtp_mail, "nancy@northwind.test")

    assert mail.subject == "Welcome to Northwind Support: please confirm your email address"
    assert "your Northwind Support account" in mail.text()
    assert "Onboarding" not in mail.subject


def test_signing_up_with_a_taken_address_tells_its_owner_with_the_address_and_a_reset_link(
    client, smtp_mail
):
    owner = UserFactory(email="taken@example.com")
    sign_up(client, owner.email)
    mail = only_mail_to(smtp_mail, owner.email)

    assert mail.subject == "You already have an account with Onboarding"
    text = mail.text()
    assert "using the address taken@example.com, but there is already an account" in text
    assert f"http://{HOST}{reverse('account_reset_password')}" in text
