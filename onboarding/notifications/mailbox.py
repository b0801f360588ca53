"""The embedded email backend (EMAIL_URL unset): nothing leaves the machine.

Each email is written whole to MAIL_DROP_DIR and the sending process's terminal (maildrop.py), for
the person running the product, and staff's copy is kept in the database for /staff/mail/, with
the links and codes of a secret-bearing email withheld (withholding.py). Like a real mailbox store
it files each Message-ID once, so a message the relay sends twice appears once.

With EMAIL_URL set, the relay files the same kind of row (`sent_mail_store` with
delivery=SMTP) after the SMTP server accepted an email, so staff see what was sent in either mode.
"""

from email.message import Message

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import DNS_NAME, EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.utils import timezone

from onboarding.notifications.maildrop import mail_drop_echo, mail_drop_write
from onboarding.notifications.models import MailDelivery, SentMail
from onboarding.notifications.withholding import email_carries_secret, secrets_withhold


def _attachment_facts(attachment) -> dict:
    if isinstance(attachment, Message):  # a MIME part attached as is
        content = attachment.get_payload(decode=True) or b""
        return {
            "filename": attachment.get_filename() or "",
            "content_type": attachment.get_content_type(),
            "size": len(content),
        }
    filename, content, mimetype = attachment
    size = len(content.encode() if isinstance(content, str) else content)
    return {"filename": filename or "", "content_type": mimetype or "", "size": size}


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = (message.body or ""), ""
    if message.content_subtype == "html":
        text, html = "", message.body or ""
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html" and not html:
            html = content.decode() if isinstance(content, bytes) else content
    return text, html


def sent_mail_store(
    message: EmailMessage,
    *,
    delivery: str = MailDelivery.KEPT,
    withhold_secrets: bool = False,
) -> SentMail | None:
    """Keep staff's copy of one email; None when its Message-ID was filed before (a resend).

    The links and codes of an email that signs in, resets or verifies (marked by the channel, or
    linking to a key page) are withheld from the copy, as they are with `withhold_secrets`; the
    message itself is not changed.
    """
    mime = message.message()  # also gives it a Message-ID if it had none
    message_id = str(mime.get("Message-ID", "")).strip()
    text, html = _bodies(message)
    withhold_secrets = withhold_secrets or email_carries_secret(message, text, html)
    if withhold_secrets:
        text, html = secrets_withhold(text), secrets_withhold(html)
    recipients = [*message.to, *message.cc, *message.bcc]
    try:
        with transaction.atomic():
            return SentMail.objects.create(
                message_id=message_id,
                from_email=str(message.from_email or ""),
                to=list(message.to),
                cc=list(message.cc),
                bcc=list(message.bcc),
                recipients_text=" ".join(recipients),
                subject=str(message.subject or ""),
                body_text=text,
                body_html=html,
                attachments=[_attachment_facts(a) for a in message.attachments],
                headers={str(k): str(v) for k, v in message.extra_headers.items()},
                sent_at=timezone.now(),
                delivery=delivery,
                secrets_withheld=withhold_secrets,
            )
    except IntegrityError:
        return None


def _already_filed(message: EmailMessage) -> bool:
    message_id = str(message.extra_headers.get("Message-ID", "")).strip()
    return bool(message_id) and SentMail.objects.filter(message_id=message_id).exists()


def mailbox_keep(message: EmailMessage) -> None:
    """The embedded mode's "send": the whole email to the drop folder and the terminal, staff's
    copy (secrets withheld) to the database; a Message-ID filed before is a resend, skipped."""
    # One Message-ID for the file and the row (message() invents a new one on every call).
    message.extra_headers.setdefault("Message-ID", make_msgid(domain=DNS_NAME))
    if _already_filed(message):
        return
    path = mail_drop_write(message)
    text, html = _bodies(message)
    mail_drop_echo(message, path=path, text=text or html)
    sent_mail_store(message)


class DatabaseMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or ():
            if not message.recipients():
                continue
            try:
                mailbox_keep(message)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            sent += 1  # a duplicate Message-ID counts as sent: the mailbox has it
        return sent


__all__ = ["DatabaseMailboxBackend", "mailbox_keep", "sent_mail_store"]
