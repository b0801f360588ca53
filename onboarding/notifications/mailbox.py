"""The embedded email backend: every message is kept in the database and shown on /staff/mail/.

Used when EMAIL_URL is unset, so a development machine or a small install can see every email the
system sent without running a mail server. It files each Message-ID once, as a real mailbox
store does, so a message the relay sends twice appears once.

With EMAIL_URL set, the relay files the same kind of row (`sent_mail_store` with
delivery=SMTP) after the SMTP server accepted an email, so staff see what was sent in either mode.
"""

from email.message import Message

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from onboarding.notifications.models import MailDelivery, SentMail
from onboarding.notifications.withholding import secrets_withhold


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
    """Keep one email; None when its Message-ID was filed before (a resend).

    `withhold_secrets` keeps its links and codes out of the stored copy (the message itself is
    not changed): for the SMTP copy of an email that signs in, resets or verifies.
    """
    mime = message.message()  # also gives it a Message-ID if it had none
    message_id = str(mime.get("Message-ID", "")).strip()
    text, html = _bodies(message)
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


class DatabaseMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or ():
            if not message.recipients():
                continue
            try:
                sent_mail_store(message)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            sent += 1  # a duplicate Message-ID counts as sent: the mailbox has it
        return sent


__all__ = ["DatabaseMailboxBackend", "sent_mail_store"]
