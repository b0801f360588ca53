"""The live risk board under /staff/risk/: open risks, a chart of counts by rating over time,
and a server-sent event stream that puts a new risk on the page within a second."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.accounts.permissions import role_refusal
from onboarding.core.forms import refusals_on
from onboarding.core.numbers import parse_query_int
from onboarding.core.roles import STAFF_ROLES
from onboarding.risk.board_notes import board_notes_attach
from onboarding.risk.board_stream import BoardCursor, polled_events, streamed_events
from onboarding.risk.forms import ResolveForm
from onboarding.risk.selectors import (
    risk_counts_by_day,
    risk_last_id,
    risk_open_list,
    risk_recent_resolved,
)
from onboarding.risk.services import risk_event_resolve


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "risk/board.html",
        {
            "open": board_notes_attach(risk_open_list()),
            "resolved": risk_recent_resolved(),
            "counts": risk_counts_by_day(),
            "last_id": risk_last_id(),
            "resolve_form": ResolveForm(),
        },
    )


@require_GET
def counts(request: HttpRequest) -> JsonResponse:
    return JsonResponse(risk_counts_by_day().as_dict())


def _cursor(request: HttpRequest) -> int:
    # EventSource sends Last-Event-ID when it reconnects; the page passes ?after= the first time.
    for value in (request.headers.get("Last-Event-ID", ""), request.GET.get("after", "")):
        cursor = parse_query_int(value)
        if cursor is not None:
            return cursor
    return risk_last_id()


@require_GET
async def events(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events: one "risk" event per new open risk, for a bounded time
    (onboarding/risk/board_stream.py). Under ASGI the stream holds no thread (config/asgi.py)."""
    # StaffAccessMiddleware refuses anyone else before this view; the check here keeps the
    # stream closed should the view ever be mounted outside the staff area.
    user = await request.auser()
    if await sync_to_async(role_refusal)(user, STAFF_ROLES) is not None:
        raise Http404(gettext("Not found"))
    cursor = BoardCursor(
        after=await sync_to_async(_cursor)(request),
        csrf_token=get_token(request),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    # Under WSGI (runserver, the test server) Django would buffer an async stream whole.
    asgi = isinstance(request, ASGIRequest)
    stream = streamed_events(cursor) if asgi else polled_events(cursor)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy must pass events on at once
    return response


@require_POST
def resolve(request: HttpRequest, event_id: int) -> HttpResponse:
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say what was done about the risk before resolving it."))
        return redirect("risk:board")
    with refusals_on(request=request) as outcome:
        risk_event_resolve(event_id=event_id, actor=request.user, note=form.cleaned_data["note"])
    if outcome.ok:
        messages.success(request, gettext("Risk resolved."))
    return redirect("risk:board")
