from datetime import datetime
from typing import Any

from ninja import Field, Schema

from onboarding.notifications.models import OutboxStatus


class InboxMessageOut(Schema):
    id: int
    kind: str
    subject: str
    body_text: str
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class InboxSummaryOut(Schema):
    total: int
    unread: int


class InboxMarkedOut(Schema):
    marked: int


class InboxFilters(Schema):
    unread: bool = False


class SentMailSummaryOut(Schema):
    id: int
    message_id: str
    from_email: str
    to: list[str]
    cc: list[str]
    subject: str
    attachments: list[dict[str, Any]]
    sent_at: datetime
    # "kept" (the embedded mailbox's own copy) or "smtp" (a copy of what the SMTP server took).
    delivery: str
    secrets_withheld: bool


class SentMailOut(SentMailSummaryOut):
    bcc: list[str]
    body_text: str
    body_html: str
    headers: dict[str, str]


class SentMailFilters(Schema):
    q: str = Field("", max_length=200, description="Part of a recipient address or subject")


class OutboxMessageOut(Schema):
    id: int
    topic: str
    channel: str
    status: OutboxStatus
    delivery_state: str = Field(..., alias="display_status")
    attempts: int
    next_attempt_at: datetime
    locked_until: datetime | None
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    notification_id: int | None
    recipient: str | None = Field(None, alias="notification.recipient.email")
    to_email: str | None = Field(None, alias="notification.to_email")
    subject: str | None = Field(None, alias="notification.subject")


class OutboxFilters(Schema):
    status: str = Field("", pattern="^(|pending|retrying|sending|sent|dead)$")
    q: str = Field("", max_length=200, description="Part of a topic, address or subject")
