"""Mail that carries a secret (a password reset, an address verification) is read in full only by
its recipient: staff pages, the staff API, the Django admin, inbox copies, audit entries and logs
hold it with its links and codes withheld. The email itself works: by SMTP (EMAIL_URL set), and in
the embedded mode as an .eml file in MAIL_DROP_DIR and on the terminal of the sending process."""

import logging
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse

from onboarding.accounts.models import User
from onboarding.notifications.models import InboxMessage, Notification, OutboxStatus, SentMail
from onboarding.notifications.services import notification_send
from onboarding.notifications.withholding import LINK_WITHHELD
from tests.notifications.conftest import point_email_at, send
from tests.services import free_port

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"https?://\S+/accounts/password/reset/key/\S+/")
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")
NEW_ADDRESS = "trying.it.out@example.com"
PASSPHRASE = "a long and unusual passphrase"
NEW_PASSPHRASE = "another quite unusual passphrase"


def _key_of(link: str) -> str:
    return urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]


def _every_stored_value() -> str:
    """Every column of every row of every table, as text: what a database reader could see."""
    rows = []
    for model in apps.get_models():
        for row in model.objects.values_list():
            rows.append(repr(row))
    return "\n".join(rows)


def _ask_for_a_reset(email: str) -> None:
    response = Client().post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302


def _staff_see(sysops_client, admin_client_2fa, *, address: str) -> str:
    """Every staff page and API answer that shows mail to `address`, concatenated."""
    seen = []
    listed = sysops_client.get(f"/api/v1/staff/mail/?q={address}").json()
    assert listed["count"] >= 1
    for item in listed["items"]:
        seen.append(sysops_client.get(f"/api/v1/staff/mail/{item['id']}").content.decode())
        seen.append(sysops_client.get(f"/staff/mail/{item['id']}/").content.decode())
        seen.append(
            admin_client_2fa.get(
                f"/admin/notifications/sentmail/{item['id']}/change/"
            ).content.decode()
        )
    seen.append(sysops_client.get(f"/staff/mail/?q={address}").content.decode())
    for notification in Notification.objects.filter(to_email=address):
        page = admin_client_2fa.get(f"/admin/notifications/notification/{notification.pk}/change/")
        assert page.status_code == 200
        seen.append(page.content.decode())
    seen.append(admin_client_2fa.get("/admin/notifications/notification/").content.decode())
    return "\n".join(seen)


def _set_password_with(link: str, password: str) -> None:
    """Follow a reset link as its recipient does: open it, then choose a new password."""
    browser = Client()
    opened = browser.get(urlsplit(link).path)
    assert opened.status_code == 302  # allauth moves the key from the URL into the session
    chosen = browser.post(opened["Location"], {"password1": password, "password2": password})
    assert chosen.status_code == 302, chosen.content[:500]


def test_a_password_reset_link_reaches_the_drop_folder_and_no_staff_page(
    embedded_mail, customer, sysops_client, admin_client_2fa, deliver, caplog
):
    caplog.set_level(logging.DEBUG)
    _ask_for_a_reset(customer.email)

    deliver()

    shown = _staff_see(sysops_client, admin_client_2fa, address=customer.email)
    assert "password/reset/key" not in shown and LINK_WITHHELD in shown
    [received] = embedded_mail.to(customer.email)
    link = RESET_LINK.search(received.text()).group(0)
    key = _key_of(link)
    assert key not in shown
    assert key not in _every_stored_value()  # audit entries, outbox rows, inbox rows included
    assert not [r for r in caplog.records if key in r.getMessage() or key in repr(r.__dict__)]
    # The link in the dropped email works for the customer, and only once.
    _set_password_with(link, NEW_PASSPHRASE)
    assert User.objects.get(pk=customer.pk).check_password(NEW_PASSPHRASE)


def test_a_verification_link_in_the_drop_folder_verifies_the_address(
    embedded_mail, client, sysops_client, admin_client_2fa, deliver
):
    response = client.post(
        reverse("account_signup"),
        {"email": NEW_ADDRESS, "password1": PASSPHRASE, "password2": PASSPHRASE},
    )
    assert response.status_code == 302

    deliver()

    [received] = embedded_mail.to(NEW_ADDRESS)
    link = CONFIRM_LINK.search(received.text()).group(0)
    assert link in received.html()
    shown = _staff_see(sysops_client, admin_client_2fa, address=NEW_ADDRESS)
    assert _key_of(link) not in shown and "confirm-email" not in shown
    assert _key_of(link) not in _every_stored_value()
    confirmed = client.post(urlsplit(link).path)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email=NEW_ADDRESS).verified


def test_the_terminal_names_the_dropped_file_and_shows_the_whole_email(
    embedded_mail, customer, deliver, capsys
):
    _ask_for_a_reset(customer.email)
    capsys.readouterr()

    deliver()

    printed = capsys.readouterr().out
    [path] = embedded_mail.files()
    assert str(path) in printed
    [received] = embedded_mail.to(customer.email)
    assert RESET_LINK.search(received.text()).group(0) in printed
    assert received.subject in printed


def test_in_smtp_mode_the_reset_link_leaves_by_smtp_and_is_stored_nowhere(
    smtp_mail, customer, sysops_client, admin_client_2fa, deliver, settings, tmp_path
):
    settings.MAIL_DROP_DIR = tmp_path / "mail"
    _ask_for_a_reset(customer.email)

    deliver()

    [received] = smtp_mail.sink.to(customer.email)
    link = RESET_LINK.search(received.text()).group(0)
    shown = _staff_see(sysops_client, admin_client_2fa, address=customer.email)
    assert _key_of(link) not in shown
    assert _key_of(link) not in _every_stored_value()
    assert not (tmp_path / "mail").exists()  # nothing dropped on disk either
    _set_password_with(link, NEW_PASSPHRASE)
    assert User.objects.get(pk=customer.pk).check_password(NEW_PASSPHRASE)


def _secret_notification(recipient, *, channels: list[str]) -> Notification:
    link = "https://support.example.com/accounts/password/reset/key/3-abc123-secretkey/"
    return notification_send(
        recipient=recipient,
        kind="account.password_reset_key",
        subject="Password reset",
        template="accounts/email/prerendered",
        context={"text": f"Reset it here: {link}\n", "html": ""},
        dedupe_key="secret:1",
        channels=channels,
    )


def test_an_inbox_copy_of_a_secret_mail_has_its_link_withheld_while_the_email_has_it(
    customer, deliver
):
    _secret_notification(customer, channels=["email", "in_app"])

    deliver()

    inbox = InboxMessage.objects.get(recipient=customer)
    assert "secretkey" not in inbox.body_text and LINK_WITHHELD in inbox.body_text
    [sent] = mail.outbox
    assert "/accounts/password/reset/key/3-abc123-secretkey/" in sent.body


def test_a_secret_mail_that_could_not_be_sent_goes_out_whole_on_its_retry(
    customer, deliver, settings
):
    point_email_at(settings, free_port())  # nobody listens there
    notification = _secret_notification(customer, channels=["email"])
    assert deliver().retrying == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = notification.deliveries.get().next_attempt_at
    deliver(now=later)

    [sent] = mail.outbox
    assert "3-abc123-secretkey" in sent.body
    assert notification.deliveries.get().status == OutboxStatus.SENT


def test_once_accepted_the_sealed_copy_is_erased_and_a_redelivery_sends_nothing_more(
    customer, deliver
):
    notification = _secret_notification(customer, channels=["email"])
    deliver()
    notification.refresh_from_db()
    assert notification.sealed_bodies == ""
    # A relay that died after the send but before recording it delivers the row again.
    notification.deliveries.update(status=OutboxStatus.PENDING, locked_until=None)

    deliver()

    assert len(mail.outbox) == 1
    assert notification.deliveries.get().status == OutboxStatus.SENT


def test_a_reset_link_in_mail_of_any_kind_is_withheld_from_staff_copies(
    embedded_mail, customer, deliver
):
    link = "http://127.0.0.1:8000/accounts/password/reset/key/3-abc123-secretkey/"
    send(customer, "odd:1", channels=["email"], context={"body": f"Go to {link} now."})

    deliver()

    copy = SentMail.objects.get()
    assert "secretkey" not in copy.body_text and copy.secrets_withheld
    assert "secretkey" not in Notification.objects.get().body_text
    [received] = embedded_mail.to(customer.email)
    assert link in received.text()


def test_an_ordinary_email_is_kept_for_staff_in_full(embedded_mail, customer, deliver):
    send(customer, "plain:1", channels=["email"], context={"body": "See /invoices/7/ please."})

    deliver()

    copy = SentMail.objects.get()
    assert "See /invoices/7/ please." in copy.body_text and not copy.secrets_withheld
    assert len(embedded_mail.files()) == 1
