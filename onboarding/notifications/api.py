"""/api/v1/inbox/ (every signed-in user, their own messages) and /api/v1/staff/mail/ (staff).

The inbox answers 404 for a message that is not the caller's, exactly as for one that does not
exist. The staff routes sit behind StaffAccessMiddleware (staff role + TOTP); re-queueing a dead
message is for admins only (403 otherwise, 409 if the message is not dead).
"""

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from onboarding.core.pagination import BoundedLimitOffsetPagination
from onboarding.notifications.schemas import (
    InboxFilters,
    InboxMarkedOut,
    InboxMessageOut,
    InboxSummaryOut,
    OutboxFilters,
    OutboxMessageOut,
    SentMailFilters,
    SentMailOut,
    SentMailSummaryOut,
)
from onboarding.notifications.selectors import (
    inbox_list,
    inbox_message_get,
    inbox_of,
    inbox_unread_count,
    outbox_list,
    outbox_message_get,
    sent_mail_get,
    sent_mail_list,
)
from onboarding.notifications.services import (
    inbox_mark_all_read,
    inbox_mark_read,
    outbox_requeue,
)

inbox_router = Router()
mail_router = Router()


# --- The caller's own inbox -----------------------------------------------------------------------


@inbox_router.get("/", response=list[InboxMessageOut], summary="My inbox, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_inbox(request: HttpRequest, filters: Query[InboxFilters]):
    return inbox_list(user=request.user, unread_only=filters.unread)


@inbox_router.get("/summary", response=InboxSummaryOut, summary="Message and unread counts")
def inbox_summary(request: HttpRequest):
    return {
        "total": inbox_of(user=request.user).count(),
        "unread": inbox_unread_count(user=request.user),
    }


@inbox_router.post("/read-all", response=InboxMarkedOut, summary="Mark all my messages read")
def mark_all_read(request: HttpRequest):
    return {"marked": inbox_mark_all_read(user=request.user)}


@inbox_router.get(
    "/{int:message_id}", response={200: InboxMessageOut, 404: dict}, summary="One of my messages"
)
def get_inbox_message(request: HttpRequest, message_id: int):
    return inbox_message_get(user=request.user, message_id=message_id)


@inbox_router.post(
    "/{int:message_id}/read", response={200: InboxMessageOut, 404: dict}, summary="Mark read"
)
def mark_read(request: HttpRequest, message_id: int):
    return inbox_mark_read(user=request.user, message_id=message_id)


# --- Staff: sent mail and the outbox --------------------------------------------------------------


@mail_router.get("/", response=list[SentMailSummaryOut], summary="Sent mail, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_sent_mail(request: HttpRequest, filters: Query[SentMailFilters]):
    return sent_mail_list(user=request.user, search=filters.q)


@mail_router.get(
    "/outbox/", response=list[OutboxMessageOut], summary="Outbox messages and delivery state"
)
@paginate(BoundedLimitOffsetPagination)
def list_outbox(request: HttpRequest, filters: Query[OutboxFilters]):
    return outbox_list(user=request.user, status=filters.status, search=filters.q)


@mail_router.get(
    "/outbox/{int:message_id}",
    response={200: OutboxMessageOut, 404: dict},
    summary="One outbox message",
)
def get_outbox_message(request: HttpRequest, message_id: int):
    return outbox_message_get(user=request.user, message_id=message_id)


@mail_router.post(
    "/outbox/{int:message_id}/requeue",
    response={200: OutboxMessageOut, 403: dict, 404: dict, 409: dict},
    summary="Send a dead message round again (admins)",
)
def requeue_outbox_message(request: HttpRequest, message_id: int):
    message = outbox_message_get(user=request.user, message_id=message_id)
    outbox_requeue(message_id=message.pk, actor=request.user)
    return outbox_message_get(user=request.user, message_id=message.pk)


@mail_router.get("/{int:mail_id}", response={200: SentMailOut, 404: dict}, summary="One sent email")
def get_sent_mail(request: HttpRequest, mail_id: int):
    return sent_mail_get(user=request.user, mail_id=mail_id)
