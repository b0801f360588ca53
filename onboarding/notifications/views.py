"""Pages: the in-app inbox (/inbox/, every signed-in user) and sent mail + outbox (/staff/mail/).

StaffAccessMiddleware has already refused anyone without a staff role and TOTP on /staff/; every
staff role may look at sent mail and the outbox, only admins may re-queue a dead message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from onboarding.core.errors import DomainError
from onboarding.core.pagination import page_number
from onboarding.core.roles import Role
from onboarding.notifications.channels import email_leaves_by_smtp
from onboarding.notifications.models import OUTBOX_STATE_LABELS, OutboxStatus
from onboarding.notifications.selectors import (
    OUTBOX_FILTERS,
    inbox_list,
    inbox_message_get,
    inbox_unread_count,
    outbox_list,
    outbox_message_get,
    outbox_status_counts,
    outbox_undelivered,
    sent_mail_get,
    sent_mail_list,
)
from onboarding.notifications.services import (
    inbox_mark_all_read,
    inbox_mark_read,
    outbox_requeue,
)

PAGE_SIZE = 25

# The HTML of an email is someone else's markup: shown only inside <iframe sandbox>, from this
# response, which may run no script, load nothing from the network and submit nothing.
MAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Inbox ----------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(inbox_list(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        page_number(request)
    )
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": inbox_unread_count(user=request.user),
        },
    )


@login_required
@require_GET
def inbox_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = inbox_message_get(user=request.user, message_id=message_id)
    return render(request, "notifications/inbox_detail.html", {"message": message})


@login_required
@require_POST
def inbox_read(request: HttpRequest, message_id: int) -> HttpResponse:
    message = inbox_mark_read(user=request.user, message_id=message_id)
    if _is_htmx(request):
        # The row, and the heading's unread count swapped out of band so it does not go stale.
        return render(
            request,
            "notifications/_inbox_row.html",
            {"message": message, "unread_now": inbox_unread_count(user=request.user)},
        )
    if request.POST.get("next") == "detail":
        return redirect(message)
    return redirect("notifications:inbox")


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    marked = inbox_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext("Marked %(count)d message read.", "Marked %(count)d messages read.", marked)
        % {"count": marked},
    )
    return redirect("notifications:inbox")


# --- Staff: sent mail -----------------------------------------------------------------------------


@require_GET
def mail_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    page = Paginator(sent_mail_list(user=request.user, search=search), PAGE_SIZE).get_page(
        page_number(request)
    )
    return render(
        request,
        "notifications/mail_list.html",
        {
            "page": page,
            "q": search,
            "counts": outbox_status_counts(user=request.user),
            "undelivered": outbox_undelivered(user=request.user),
            "can_requeue": request.user.has_role(Role.ADMIN),
            "smtp_mode": email_leaves_by_smtp(),
        },
    )


@require_GET
def mail_detail(request: HttpRequest, mail_id: int) -> HttpResponse:
    mail = sent_mail_get(user=request.user, mail_id=mail_id)
    return render(request, "notifications/mail_detail.html", {"mail": mail})


@require_GET
@xframe_options_sameorigin
def mail_html(request: HttpRequest, mail_id: int) -> HttpResponse:
    mail = sent_mail_get(user=request.user, mail_id=mail_id)
    response = HttpResponse(mail.body_html, content_type="text/html; charset=utf-8")
    # Set here, so the site-wide CSP middleware leaves this response's stricter policy alone.
    response["Content-Security-Policy"] = MAIL_HTML_CSP
    response["Cache-Control"] = "no-store"
    return response


# --- Staff: the outbox ----------------------------------------------------------------------------


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in OUTBOX_FILTERS else ""
    search = request.GET.get("q", "")[:200]
    page = Paginator(
        outbox_list(user=request.user, status=status, search=search), PAGE_SIZE
    ).get_page(page_number(request))
    return render(
        request,
        "notifications/outbox_list.html",
        {
            "page": page,
            "status": status,
            "q": search,
            "statuses": [(value, OUTBOX_STATE_LABELS[value]) for value in OUTBOX_FILTERS],
            "counts": outbox_status_counts(user=request.user),
            "can_requeue": request.user.has_role(Role.ADMIN),
        },
    )


def _outbox_detail_page(request: HttpRequest, message, *, error: str = "", status: int = 200):
    return render(
        request,
        "notifications/outbox_detail.html",
        {
            "message": message,
            "error": error,
            "can_requeue": request.user.has_role(Role.ADMIN)
            and message.status == OutboxStatus.DEAD,
        },
        status=status,
    )


@require_GET
def outbox_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = outbox_message_get(user=request.user, message_id=message_id)
    return _outbox_detail_page(request, message)


@require_POST
def outbox_requeue_view(request: HttpRequest, message_id: int) -> HttpResponse:
    message = outbox_message_get(user=request.user, message_id=message_id)
    try:
        outbox_requeue(message_id=message.pk, actor=request.user)
    except DomainError as exc:
        return _outbox_detail_page(request, message, error=exc.message, status=exc.status_code)
    messages.success(request, gettext("Message #%(id)s is queued again.") % {"id": message.pk})

    return redirect(message)
