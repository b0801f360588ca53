"""The live risk board under /staff/risk/: open risks, a chart of counts by rating over time,
and a server-sent event stream that puts a new risk on the page within a second."""

import json
import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from onboarding.core.forms import refusals_on
from onboarding.core.numbers import parse_query_int
from onboarding.risk.forms import ResolveForm
from onboarding.risk.selectors import (
    risk_board_events,
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
            "open": risk_open_list(),
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
def events(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events: one "risk" event per new open risk, for a bounded time; the browser
    then reconnects on its own and carries on from the last id it saw. Each poll also looks back
    RISK_BOARD_LOOKBACK_SECONDS for risks that committed after a higher id (the page drops any it
    already shows)."""
    after = _cursor(request)

    def stream():
        last = after
        sent: dict[int, float] = {}  # id -> when it was sent, forgotten after the lookback
        lookback = settings.RISK_BOARD_LOOKBACK_SECONDS
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + settings.RISK_BOARD_STREAM_SECONDS
        while True:
            now = time.monotonic()
            since = timezone.now() - timedelta(seconds=lookback)
            for event in risk_board_events(after_id=last, since=since):
                last = max(last, event.pk)
                if event.pk in sent:
                    continue
                sent[event.pk] = now
                data = {
                    **event.as_message(),
                    "pk": event.pk,
                    "html": render_to_string(
                        "risk/_row.html", {"event": event, "resolve_form": ResolveForm()}
                    ),
                }
                yield f"id: {last}\nevent: risk\ndata: {json.dumps(data)}\n\n"
            sent = {pk: at for pk, at in sent.items() if now - at <= 2 * lookback}
            yield ": keep-alive\n\n"
            if time.monotonic() >= deadline:
                return
            time.sleep(settings.RISK_BOARD_POLL_SECONDS)

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy must pass events on at once
    return response


@require_POST
def resolve(request: HttpRequest, event_id: int) -> HttpResponse:
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what was done about the risk before resolving it.")
        return redirect("risk:board")
    with refusals_on(request=request) as outcome:
        risk_event_resolve(event_id=event_id, actor=request.user, note=form.cleaned_data["note"])
    if outcome.ok:
        messages.success(request, "Risk resolved.")
    return redirect("risk:board")
