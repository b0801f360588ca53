"""The two notification channels, as outbox consumers: email and the in-app inbox."""

import logging
import smtplib

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils.module_loading import import_string

from onboarding.notifications.mailbox import sent_mail_store
from onboarding.notifications.models import (
    CHANNEL_TOPICS,
    Channel,
    InboxMessage,
    MailDelivery,
    Notification,
    OutboxMessage,
)
from onboarding.notifications.registry import (
    DeliveryBatch,
    PermanentDeliveryError,
    register_outbox_handler,
)
from onboarding.notifications.sealing import SealBroken, bodies_unseal
from onboarding.notifications.withholding import email_mark_secret

logger = logging.getLogger(__name__)

_EMAIL_CONNECTION = "email-connection"


class DeliveryFailed(Exception):
    """The backend returned without error but did not take the message."""


def _notification_of(message: OutboxMessage) -> Notification:
    if message.notification_id is not None and message.notification is not None:
        return message.notification
    return Notification.objects.select_related("recipient").get(
        pk=message.payload["notification_id"]
    )


def email_build(notification: Notification) -> EmailMultiAlternatives:
    """The email for a notification: text, optional HTML, attachments, stable identity headers.

    A secret-bearing notification is built from its sealed copy, links and codes included, and
    marked so the mail backend's staff copy withholds them again.
    """
    text, html = notification.body_text, notification.body_html
    if notification.secrets_withheld:
        text, html = bodies_unseal(notification.sealed_bodies)
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        headers={
            # The same Message-ID on every retry: the receiving mailbox's second line of defence
            # against the duplicate a relay crash can cause.
            "Message-ID": notification.message_id,
            "X-Onboarding-Notification": str(notification.pk),
            "Idempotency-Key": notification.idempotency_key,
            "Auto-Submitted": "auto-generated",
        },
    )
    if html:
        email.attach_alternative(html, "text/html")
    if notification.secrets_withheld:
        email_mark_secret(email)
    for attachment in notification.attachments:
        with default_storage.open(attachment["storage_path"], "rb") as handle:
            email.attach(attachment["filename"], handle.read(), attachment["content_type"])
    return email


def _open_email_connection():
    connection = get_connection(fail_silently=False)
    connection.open()
    return connection


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer about this message or its addresses will be the same next time."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError)
    return False


def email_leaves_by_smtp() -> bool:
    """True when EMAIL_URL points the mail backend at an SMTP server (not the embedded mailbox)."""
    return issubclass(import_string(settings.EMAIL_BACKEND), SmtpBackend)


def _smtp_copy_keep(email: EmailMultiAlternatives, notification: Notification) -> None:
    """File what the SMTP server accepted for /staff/mail/, secrets withheld.

    The email has left: failing to file its copy must not fail (and so resend) the delivery.
    """
    try:
        sent_mail_store(email, delivery=MailDelivery.SMTP)
    except Exception:
        logger.exception("could not keep the staff copy of notification %s", notification.pk)


def email_deliver(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """Hand one notification email to the mail backend, on the batch's shared connection.

    In SMTP mode a copy of each accepted email is kept for staff (the embedded mailbox keeps
    its own copy already); a secret-bearing email's sealed copy is erased once it is accepted.
    """
    notification = _notification_of(message)
    if notification.secrets_withheld and not notification.sealed_bodies:
        # The sealed copy is erased only after a mail server took the email: this row is being
        # delivered again after a relay stopped before recording it. The email has gone.
        logger.info("secret-bearing email %s was already accepted", notification.pk)
        return
    try:
        email = email_build(notification)
    except SealBroken as exc:
        raise PermanentDeliveryError(str(exc)) from exc
    connection = batch.resource(_EMAIL_CONNECTION, _open_email_connection)
    try:
        accepted = connection.send_messages([email])
    except Exception as exc:
        if _is_permanent(exc):
            raise PermanentDeliveryError(f"{exc.__class__.__name__}: {exc}") from exc
        # The connection may be half-broken; the next message of the batch opens a new one.
        batch.discard(_EMAIL_CONNECTION)
        raise
    if accepted != 1:
        batch.discard(_EMAIL_CONNECTION)
        raise DeliveryFailed("the mail backend did not accept the message")
    if notification.secrets_withheld:
        # Accepted: the working link now lives only in the recipient's mailbox.
        Notification.objects.filter(pk=notification.pk).update(sealed_bodies="")
    if isinstance(connection, SmtpBackend):
        _smtp_copy_keep(email, notification)


def inbox_deliver(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """File a notification in the recipient's in-app inbox; a redelivery finds the row there."""
    notification = _notification_of(message)
    InboxMessage.objects.get_or_create(
        notification=notification,
        defaults={
            "recipient_id": notification.recipient_id,
            "kind": notification.kind,
            "subject": notification.subject,
            "body_text": notification.body_text,
            "created_at": notification.created_at,
        },
    )


def channels_register() -> None:
    register_outbox_handler(CHANNEL_TOPICS[Channel.EMAIL], email_deliver)
    # Only rows are written, so delivery and its record commit together: exactly once.
    register_outbox_handler(CHANNEL_TOPICS[Channel.IN_APP], inbox_deliver, transactional=True)
