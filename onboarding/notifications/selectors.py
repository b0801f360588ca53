"""Reads for the inbox, the staff mail pages and the APIs."""

from allauth.account.models import EmailAddress
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from onboarding.core.access import get_visible_or_404, visible_to
from onboarding.notifications.models import (
    OUTBOX_OPEN_STATES,
    InboxMessage,
    OutboxMessage,
    OutboxStatus,
    SentMail,
)


def acknowledged_email_of(user) -> str | None:
    """The address the user has proven they read (a verified allauth address), primary first."""
    address = (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "id")
        .values_list("email", flat=True)
        .first()
    )
    return address or None


def inbox_of(*, user) -> QuerySet[InboxMessage]:
    """The user's own inbox messages. InboxMessage's access rule lets no staff role see other
    people's inboxes, so staff read only their own inbox too."""
    return visible_to(user, InboxMessage.objects.all())


def inbox_list(*, user, unread_only: bool = False) -> QuerySet[InboxMessage]:
    messages = inbox_of(user=user)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-id")


def inbox_unread_count(*, user) -> int:
    return inbox_of(user=user).filter(read_at__isnull=True).count()


def inbox_message_get(*, user, message_id) -> InboxMessage:
    """One of the user's own messages; anyone else's, or a bad id, is a 404 (and audited)."""
    return get_visible_or_404(user, InboxMessage, pk=message_id)


def sent_mail_list(*, user, search: str = "") -> QuerySet[SentMail]:
    """Every email the embedded mailbox sent, newest first; search by recipient or subject."""
    mails = visible_to(user, SentMail.objects.all())
    search = search.strip()
    if search:
        mails = mails.filter(Q(recipients_text__icontains=search) | Q(subject__icontains=search))
    return mails.defer("body_text", "body_html").order_by("-sent_at", "-id")


def sent_mail_get(*, user, mail_id) -> SentMail:
    return get_visible_or_404(user, SentMail, pk=mail_id)


OUTBOX_FILTERS = ("pending", "retrying", "sending", "sent", "dead")


def outbox_list(*, user, status: str = "", search: str = "") -> QuerySet[OutboxMessage]:
    """Outbox rows with their delivery state, newest first. `status` may also be "sending"."""
    messages = visible_to(user, OutboxMessage.objects.all()).select_related(
        "notification__recipient"
    )
    if status == "sending":
        messages = messages.filter(status__in=OUTBOX_OPEN_STATES, locked_until__gt=timezone.now())
    elif status in OutboxStatus.values:
        messages = messages.filter(status=status)
    search = search.strip()
    if search:
        messages = messages.filter(
            Q(topic__icontains=search)
            | Q(notification__to_email__icontains=search)
            | Q(notification__recipient__email__icontains=search)
            | Q(notification__subject__icontains=search)
        )
    return messages.order_by("-id")


def outbox_undelivered(*, user, limit: int = 10) -> list[OutboxMessage]:
    """The newest rows not yet sent (pending, retrying or dead), for the sent-mail page."""
    return list(outbox_list(user=user).exclude(status=OutboxStatus.SENT).order_by("-id")[:limit])


def outbox_message_get(*, user, message_id) -> OutboxMessage:
    return get_visible_or_404(
        user, OutboxMessage.objects.select_related("notification__recipient"), pk=message_id
    )


def outbox_status_counts(*, user) -> dict[str, int]:
    rows = (
        visible_to(user, OutboxMessage.objects.all())
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(OutboxStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
