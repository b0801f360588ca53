"""Notifications, the transactional outbox, the in-app inbox and the record of sent mail.

A notification is written in the transaction of the change that causes it, together with one
outbox row per channel; the relay (relay.py) delivers the outbox rows after commit. Content is
rendered at enqueue time and frozen on the row, so a retry a day later sends the same words.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from onboarding.core.access import access_rule
from onboarding.core.roles import STAFF_ROLES


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In-app inbox"


# The outbox topic that carries each channel's deliveries.
CHANNEL_TOPICS = {Channel.EMAIL: "notification.email", Channel.IN_APP: "notification.in_app"}


def message_id_domain() -> str:
    """The right-hand side of our Message-IDs: the sender's domain, so they are globally unique."""
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    return sender.rsplit("@", 1)[-1] or "onboarding.invalid"


class Notification(models.Model):
    """One thing we tell one person, once, on one or more channels."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=80, db_index=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    channels = models.JSONField(default=list)
    to_email = models.EmailField(max_length=254, blank=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # A secret-bearing email (a reset or verification link, a code): the bodies above have its
    # links and codes withheld, and the email as sent is sealed (sealing.py) until the mail
    # server takes it, then erased. Never shown anywhere (editable=False keeps it off the admin).
    secrets_withheld = models.BooleanField(default=False)
    sealed_bodies = models.TextField(blank=True, editable=False)
    # [{"filename", "content_type", "storage_path"}]: files in default storage, read at send time.
    attachments = models.JSONField(default=list, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The language it was written in (the recipient's when it was queued): a re-send of the
    # same notice is these bodies again, so it stays in this language (docs/i18n.md).
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}: {self.subject}"

    @property
    def idempotency_key(self) -> str:
        """A header-safe digest of the dedupe key: the same on every retry of this notification."""
        return hashlib.sha256(self.dedupe_key.encode()).hexdigest()[:40]

    @property
    def message_id(self) -> str:
        return f"<{self.idempotency_key}@{message_id_domain()}>"


# The delivery states the staff pages show (display_status), in the reader's language; the codes
# themselves are what the API and the filters use.
OUTBOX_STATE_LABELS = {
    "pending": pgettext_lazy("outbox state", "pending"),
    "retrying": pgettext_lazy("outbox state", "retrying"),
    "sending": pgettext_lazy("outbox state", "sending"),
    "sent": pgettext_lazy("outbox state", "sent"),
    "dead": pgettext_lazy("outbox state", "dead"),
}


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead"


# Rows in these states are waiting for the relay; the others are finished.
OUTBOX_OPEN_STATES = (OutboxStatus.PENDING, OutboxStatus.RETRYING)


class OutboxMessageQuerySet(models.QuerySet):
    def claimable(self, now):
        """Open rows that are due and not under a live lease (a dead relay's lease runs out)."""
        return self.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lte=now),
            status__in=OUTBOX_OPEN_STATES,
            next_attempt_at__lte=now,
        )


@access_rule(owner=None, staff=STAFF_ROLES)
class OutboxMessage(models.Model):
    """An integration event or a channel delivery, waiting for (or done by) the relay."""

    topic = models.CharField(max_length=80, db_index=True)
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=255, unique=True)
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=120, blank=True)
    last_error = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("mail:outbox_detail", args=[self.pk])

    def is_leased(self, now=None) -> bool:
        now = now or timezone.now()
        return self.locked_until is not None and self.locked_until > now

    @property
    def display_status(self) -> str:
        """What the staff page shows: an open row under a live lease is being sent right now."""
        if self.status in OUTBOX_OPEN_STATES and self.is_leased():
            return "sending"
        return self.status

    @property
    def display_status_label(self) -> str:
        return str(OUTBOX_STATE_LABELS.get(self.display_status, self.display_status))


@access_rule(owner="recipient", staff=set())
class InboxMessage(models.Model):
    """A notification as it appears in the recipient's in-app inbox. Only the recipient sees it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages"
    )
    # The unique key that makes the in-app channel exactly-once: a redelivery finds this row.
    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="inbox_message"
    )
    kind = models.CharField(max_length=80)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="inbox_unread_idx")]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("notifications:detail", args=[self.pk])

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class MailDelivery(models.TextChoices):
    # The embedded mailbox (no EMAIL_URL): the email itself is a file in MAIL_DROP_DIR; this row
    # is staff's copy, with the secrets of a secret-bearing email withheld.
    KEPT = "kept", gettext_lazy("Kept here")
    # A copy of what an SMTP server accepted (EMAIL_URL set), with secrets withheld.
    SMTP = "smtp", gettext_lazy("Sent by SMTP")


@access_rule(owner=None, staff=STAFF_ROLES)
class SentMail(models.Model):
    """An email the system sent, as staff see it on /staff/mail/: the embedded mailbox's copy,
    or (in SMTP mode) a copy of what the SMTP server accepted; links and codes of a
    secret-bearing email withheld in either mode."""

    message_id = models.CharField(max_length=255, blank=True)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    # The addresses joined into one string, so staff can search by recipient on any database.
    recipients_text = models.TextField(blank=True)
    subject = models.CharField(max_length=998)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # [{"filename", "content_type", "size"}]
    attachments = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivery = models.CharField(
        max_length=8, choices=MailDelivery.choices, default=MailDelivery.KEPT
    )
    # Links and codes of a secret-bearing email (a password reset, a verification) were withheld
    # from this copy; the email itself carried them.
    secrets_withheld = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name_plural = "sent mail"
        constraints = [
            # Like a real mailbox store, one Message-ID is filed once: a resend is not a new mail.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="sentmail_message_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {', '.join(self.to)}"

    def get_absolute_url(self) -> str:
        return reverse("mail:detail", args=[self.pk])
