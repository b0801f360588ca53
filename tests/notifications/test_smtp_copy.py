"""SMTP mode (EMAIL_URL set): staff see what the SMTP server accepted, on /staff/mail/ and in the
API, and an email that carries a secret is kept with its links and codes withheld while the one
that left by SMTP still works."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import allauth
import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from onboarding.notifications.channels import email_build
from onboarding.notifications.mailbox import sent_mail_store
from onboarding.notifications.models import MailDelivery, Notification, SentMail
from onboarding.notifications.withholding import (
    CODE_WITHHELD,
    LINK_WITHHELD,
    SECRET_MAIL_KINDS,
    secrets_withhold,
)
from tests.notifications.conftest import send

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "smtp.buyer@example.com"
PASSPHRASE = "a long and unusual passphrase"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+")
RESET_LINK = re.compile(r"https?://\S+/accounts/password/reset/key/\S+")


def _sign_up(client) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": NEW_ADDRESS, "password1": PASSPHRASE, "password2": PASSPHRASE},
    )
    assert response.status_code == 302


def test_a_verification_email_leaves_with_its_link_and_is_kept_with_the_link_withheld(
    client, smtp_mail, deliver, sysops_client
):
    _sign_up(client)

    deliver()

    [received] = smtp_mail.sink.to(NEW_ADDRESS)
    link = CONFIRM_LINK.search(received.text()).group(0)
    # The link that left by SMTP works: it opens the confirmation page.
    assert client.get(urlsplit(link).path).status_code == 200
    copy = SentMail.objects.get(to=[NEW_ADDRESS])
    assert (copy.delivery, copy.secrets_withheld) == (MailDelivery.SMTP, True)
    assert copy.message_id == received.message_id
    assert copy.subject == received.subject
    assert LINK_WITHHELD in copy.body_text
    key = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    assert key not in copy.body_text and key not in copy.body_html
    assert "confirm-email" not in copy.body_text + copy.body_html
    # Staff see it listed, marked as sent by SMTP with its secrets withheld.
    page = sysops_client.get("/staff/mail/")
    assert page.status_code == 200
    assert [mail.pk for mail in page.context["page"]] == [copy.pk]
    html = page.content.decode()
    assert "No email has been sent yet" not in html
    assert "Sent by SMTP" in html and "secrets withheld" in html
    detail = sysops_client.get(f"/staff/mail/{copy.pk}/").content.decode()
    assert LINK_WITHHELD in detail and key not in detail
    listed = sysops_client.get("/api/v1/staff/mail/").json()
    assert [(m["id"], m["delivery"], m["secrets_withheld"]) for m in listed["items"]] == [
        (copy.pk, "smtp", True)
    ]
    one = sysops_client.get(f"/api/v1/staff/mail/{copy.pk}").json()
    assert key not in one["body_text"] and key not in one["body_html"]


def test_a_password_reset_email_is_kept_with_its_link_withheld(
    client, customer, smtp_mail, deliver
):
    response = client.post(reverse("account_reset_password"), {"email": customer.email})
    assert response.status_code == 302

    deliver()

    [received] = smtp_mail.sink.to(customer.email)
    link = RESET_LINK.search(received.text()).group(0)
    copy = SentMail.objects.get(message_id=received.message_id)
    assert copy.secrets_withheld
    assert link not in copy.body_text and link not in copy.body_html
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    assert token not in copy.body_text + copy.body_html
    assert LINK_WITHHELD in copy.body_text


def test_an_ordinary_email_is_kept_in_full_once_per_message_id(customer, smtp_mail, deliver):
    notification = send(
        customer,
        "smtp:1",
        channels=["email"],
        subject="Your invoice",
        context={"body": "See https://example.com/invoices/7/ for invoice 2026-0007."},
    )

    deliver()
    # Filing the same accepted email again (a relay that resends after a crash) adds nothing.
    again = sent_mail_store(email_build(notification), delivery=MailDelivery.SMTP)

    assert again is None
    copy = SentMail.objects.get()
    assert (copy.delivery, copy.secrets_withheld) == (MailDelivery.SMTP, False)
    assert "https://example.com/invoices/7/" in copy.body_text
    assert len(smtp_mail.sink.messages()) == 1


def test_the_embedded_mailbox_withholds_the_verification_link_the_dropped_email_has(
    client, db_mailbox, deliver
):
    _sign_up(client)

    deliver()

    kept = SentMail.objects.get(to=[NEW_ADDRESS])
    assert (kept.delivery, kept.secrets_withheld) == (MailDelivery.KEPT, True)
    assert not CONFIRM_LINK.search(kept.body_text) and LINK_WITHHELD in kept.body_text
    [dropped] = db_mailbox.to(NEW_ADDRESS)
    assert dropped.message_id == kept.message_id
    assert CONFIRM_LINK.search(dropped.text())


def test_withholding_replaces_links_and_codes_and_keeps_the_words():
    text = "Enter this code on the page you have open:\n\nK7Q2-WX9P\n\nThanks\nOnboarding\n"
    html = '<p>Open <a href="https://x.test/reset/abc-123/">https://x.test/reset/abc-123/</a></p>'
    html += "<p>482913</p><p>Thanks</p>"

    assert secrets_withhold(text) == text.replace("K7Q2-WX9P", CODE_WITHHELD)
    withheld = secrets_withhold(html)
    assert "abc-123" not in withheld and "482913" not in withheld
    assert withheld.count(LINK_WITHHELD) == 2
    assert f"<p>{CODE_WITHHELD}</p><p>Thanks</p>" in withheld


def _allauth_message_templates() -> dict[str, str]:
    """Every account email's text template, the project's own where it overrides allauth's."""
    found = {}
    for root in (
        Path(allauth.__file__).parent / "templates",
        Path(django_settings.BASE_DIR) / "templates",
    ):
        for path in sorted((root / "account" / "email").glob("*_message.txt")):
            found[path.name.removesuffix("_message.txt")] = path.read_text()
    return found


def test_every_account_email_that_renders_a_link_or_code_is_a_secret_kind():
    secret_variables = re.compile(r"{{\s*(code|activate_url|password_reset_url|key)\b")
    templates = _allauth_message_templates()
    bearing = {name for name, text in templates.items() if secret_variables.search(text)}
    # Its password_reset_url is the public "forgot your password?" page, which holds no token.
    bearing.discard("account_already_exists")

    assert bearing  # the templates were found and read
    assert {f"account.{name}" for name in bearing} <= SECRET_MAIL_KINDS


def test_allauth_mail_is_filed_under_the_kind_the_secret_list_names(client, smtp_mail):
    _sign_up(client)

    notification = Notification.objects.get(recipient__email=NEW_ADDRESS)
    assert notification.kind in SECRET_MAIL_KINDS
