"""Writes: queueing notifications and integration events, the inbox, re-queueing dead messages.

Everything here runs inside the caller's transaction (a savepoint of it), so a notification or
an event exists if and only if the change that caused it was committed. Nothing is sent here:
the relay (relay.py) delivers committed outbox rows.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.template import Context, TemplateDoesNotExist, engines
from django.utils import timezone, translation
from django.utils.translation import gettext

from onboarding.core import clock
from onboarding.core.context import current_request_id
from onboarding.core.errors import Conflict, Forbidden, NotFound
from onboarding.core.roles import STAFF_ROLES, Role
from onboarding.notifications.events import inbox_read, outbox_requeued
from onboarding.notifications.models import (
    CHANNEL_TOPICS,
    OUTBOX_STATE_LABELS,
    Channel,
    InboxMessage,
    Notification,
    OutboxMessage,
    OutboxStatus,
)
from onboarding.notifications.registry import register_outbox_handler
from onboarding.notifications.sealing import bodies_seal
from onboarding.notifications.selectors import inbox_message_get, inbox_of
from onboarding.notifications.withholding import carries_secret, secrets_withhold

__all__ = [
    "Attachment",
    "inbox_mark_all_read",
    "inbox_mark_read",
    "notification_send",
    "outbox_publish",
    "outbox_requeue",
    "register_outbox_handler",
]


@dataclass(frozen=True)
class Attachment:
    """A file in Django's default storage, attached to an email when it is sent."""

    filename: str
    content_type: str
    storage_path: str


def _channels_for(recipient, channels: Sequence[str] | None) -> list[str]:
    if channels is None:
        # The recipient's preferred inbox; PreferredInbox's values are channel names.
        return [recipient.preferred_inbox]
    chosen = list(dict.fromkeys(channels))  # keep the order, drop repeats
    unknown = [c for c in chosen if c not in Channel.values]
    if unknown or not chosen:
        raise ValueError(f"channels must be a non-empty subset of {Channel.values}, got {channels}")
    return chosen


def _render(template_name: str, context: dict, *, autoescape: bool) -> str:
    # The Django engine directly, so the plain-text part is not HTML-escaped ("&" stays "&").
    engine = engines["django"].engine
    return engine.get_template(template_name).render(Context(context, autoescape=autoescape))


def _render_bodies(template: str, context: dict) -> tuple[str, str]:
    text = _render(f"{template}.txt", context, autoescape=False).strip() + "\n"
    try:
        html = _render(f"{template}.html", context, autoescape=True)
    except TemplateDoesNotExist:
        html = ""
    return text, html


def recipient_language(recipient) -> str:
    """What a notice to `recipient` is written in: a customer's profile language; a member of
    staff's console language (User.staff_language). The customer record is read through the
    user's reverse relation: accounts sits above this app."""
    if recipient is None:
        return settings.LANGUAGE_CODE
    if recipient.role in STAFF_ROLES:
        language = getattr(recipient, "staff_language", "")
        supported = {code for code, _name in settings.STAFF_LANGUAGES}
    else:
        customer = getattr(recipient, "customer", None)
        language = getattr(customer, "language", "") if customer is not None else ""
        supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


def _customer_id_of(user) -> int | None:
    return user.pk if user is not None and user.role == Role.CUSTOMER else None


def _outbox_insert(**fields) -> OutboxMessage | None:
    """Insert one outbox row in a savepoint; None when its dedupe key already exists."""
    simulation = clock.current()
    if simulation is not None:
        # Written under a test clock: the relay hands it to its consumer at the same simulated
        # moment (relay.py), so what the consumer decides or queues stays on the clock.
        fields["payload"] = {
            **fields.get("payload", {}),
            clock.OUTBOX_KEY: {"id": simulation.clock_id, "at": simulation.at.isoformat()},
        }
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(request_id=current_request_id(), **fields)
    except IntegrityError:
        return None


def notification_send(
    *,
    recipient: AbstractBaseUser,
    kind: str,
    subject: str,
    template: str,
    context: dict,
    dedupe_key: str,
    channels: Sequence[str] | None = None,
    to_email: str | None = None,
    attachments: Sequence[Attachment] = (),
    language: str | None = None,
) -> Notification:
    """Queue one notification to `recipient`, in the caller's transaction.

    `template` names `<template>.txt` (required) and `<template>.html` (optional), rendered now
    with `context`. A secret-bearing email (withholding.py) is stored with its links and codes
    withheld and sent from its sealed copy. The same `dedupe_key` twice returns the first
    notification and queues nothing more. `channels=None` means the recipient's preferred inbox.

    Subject and bodies are written in `language`, by default the recipient's
    (recipient_language), whether or not a request is around: `subject` may be a lazy
    translation (gettext_lazy, format_lazy), evaluated here in that language.
    """
    if not kind or not dedupe_key or len(dedupe_key) > 255:
        raise ValueError("kind and a dedupe_key of at most 255 characters are required")
    existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    chosen = _channels_for(recipient, channels)
    address = (to_email or recipient.email or "").strip()
    if Channel.EMAIL in chosen and not address:
        raise ValueError("the email channel needs an address and the recipient has none")
    language = language or recipient_language(recipient)
    with translation.override(language):
        text, html = _render_bodies(template, context)
        subject = str(subject)
    secret = carries_secret(kind, text, html)
    sealed = bodies_seal(text=text, html=html) if secret else ""
    if secret:
        # What anyone but the recipient can read (admin, inbox copy) has no working link or code.
        text, html = secrets_withhold(text), secrets_withhold(html)
    with transaction.atomic():
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=recipient,
                    kind=kind,
                    dedupe_key=dedupe_key,
                    channels=chosen,
                    to_email=address if Channel.EMAIL in chosen else "",
                    # A header may not span lines; a subject is one line.
                    subject=" ".join(subject.split())[:255],
                    body_text=text,
                    body_html=html,
                    secrets_withheld=secret,
                    sealed_bodies=sealed,
                    attachments=[asdict(a) for a in attachments],
                    request_id=current_request_id(),
                    language=language,
                )
        except IntegrityError:
            # A concurrent transaction queued the same key first: theirs is the notification.
            return Notification.objects.get(dedupe_key=dedupe_key)
        for channel in chosen:
            _outbox_insert(
                topic=CHANNEL_TOPICS[channel],
                payload={"notification_id": notification.pk},
                dedupe_key=f"notification:{notification.pk}:{channel}",
                notification=notification,
                channel=channel,
            )
    return notification


def outbox_publish(*, topic: str, payload: dict, dedupe_key: str) -> OutboxMessage:
    """Queue an integration event for the relay, in the caller's transaction.

    The consumer registered for `topic` (register_outbox_handler) receives it after commit, at
    least once. The same `dedupe_key` twice returns the first message.
    """
    if not topic or not dedupe_key or len(dedupe_key) > 255:
        raise ValueError("topic and a dedupe_key of at most 255 characters are required")
    existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        message = _outbox_insert(topic=topic, payload=payload, dedupe_key=dedupe_key)
    return message or OutboxMessage.objects.get(dedupe_key=dedupe_key)


def inbox_mark_read(*, user, message_id: int) -> InboxMessage:
    """Mark one of `user`'s own inbox messages read; someone else's is a 404."""
    with transaction.atomic():
        message = inbox_message_get(user=user, message_id=message_id)
        if message.read_at is None:
            message.read_at = timezone.now()
            message.save(update_fields=["read_at"])
            inbox_read(user=user, message=message)
    return message


def inbox_mark_all_read(*, user) -> int:
    with transaction.atomic():
        marked = inbox_of(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())
        if marked:
            inbox_read(user=user, count=marked)
        return marked


def outbox_requeue(*, message_id: int, actor) -> OutboxMessage:
    """An admin sends a dead message round again, with a fresh set of attempts (audited)."""
    if actor is None or not actor.is_authenticated or not actor.has_role(Role.ADMIN):
        raise Forbidden(gettext("Only an admin can re-queue a message."))
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(of=("self",))
            .select_related("notification__recipient")
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            raise NotFound(gettext("No such outbox message."))
        if message.status != OutboxStatus.DEAD:
            raise Conflict(
                gettext("Only a dead message can be re-queued; this one is %(state)s.")
                % {"state": OUTBOX_STATE_LABELS.get(message.status, message.status)}
            )
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.locked_until = None
        message.locked_by = ""
        message.save()
        recipient = message.notification.recipient if message.notification else None
        outbox_requeued(actor=actor, message=message, customer_id=_customer_id_of(recipient))
    return message
