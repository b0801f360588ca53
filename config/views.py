"""The landing pages and the error pages (400, 403, 404, 429, 500, CSRF failure).

Error pages never show exception text, paths or stack traces. The 500 page gives the person the
request id to quote, and the same id is on every log line of that request, so support can find
the traceback from what the person reads out. Under /api/ the same answers are JSON.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from config.context_processors import StaffNav
from config.staff_counts import staff_counts_stored
from onboarding.accounts import events
from onboarding.core.context import current_request_id
from onboarding.core.middleware import route_of

logger = logging.getLogger("onboarding.errors")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


# Counts of work waiting that are missing or too old to trust are asked for again every
# STAFF_COUNTS_POLL_SECONDS, at most STAFF_COUNTS_POLL_LIMIT times (about half a minute): the worker
# counts every few seconds while staff pages want the counts (config/staff_counts.py).
STAFF_COUNTS_POLL_SECONDS = 2
STAFF_COUNTS_POLL_LIMIT = 15


def _poll_count(request: HttpRequest) -> int:
    """How many times the page asked by itself so far (its `poll` parameter; 0 for a person)."""
    try:
        return max(0, int(request.GET.get("poll", "0")))
    except ValueError:
        return 0


def staff_home(request: HttpRequest) -> HttpResponse:
    # StaffAccessMiddleware has already refused anyone without a staff role and a second factor.
    # One cache read, never a count: a page does not count (reading marks the counts wanted).
    stored = staff_counts_stored()
    current = stored is not None and not stored.is_stale()
    polls = _poll_count(request)
    context = {
        "stored": stored,
        "counts": stored.counts if stored is not None else {},
        "counts_current": current,
        "poll_next": polls + 1 if not current and polls < STAFF_COUNTS_POLL_LIMIT else None,
        "poll_seconds": STAFF_COUNTS_POLL_SECONDS,
    }
    if request.htmx and "poll" in request.GET:  # the tiles asking again: that block alone
        return render(request, "core/_staff_tiles.html", context)
    return render(request, "core/staff_home.html", context)


@require_GET
def staff_nav_counts(request: HttpRequest) -> HttpResponse:
    """The staff navigation's poll: its count badges, swapped out of band (base.html). One cache
    read, never a count, like every page; StaffAccessMiddleware has refused non-staff already,
    and StaffIdleTimeoutMiddleware does not take this poll for activity."""
    nav = StaffNav(request.path_info, role=request.user.role)
    response = render(request, "includes/staff_nav_counts.html", {"staff_nav": nav})
    response["Cache-Control"] = "no-store"
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _reference(request: HttpRequest) -> str:
    return getattr(request, "request_id", "") or current_request_id()


def _error_page(
    request: HttpRequest, status: int, template: str, detail: str, code: str, **context
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    return render(request, template, {"detail": detail, **context}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        400,
        "core/error.html",
        gettext("The request could not be understood."),
        "bad_request",
        title=gettext("Bad request"),
    )


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request, 403, "403.html", gettext("You are not allowed to do this."), "forbidden"
    )


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, "404.html", gettext("Not found."), "not_found")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # `reason` is for logs, not people: it can name cookies and headers.
    logger.warning("CSRF check failed: %s", reason)
    return _error_page(
        request,
        403,
        "403.html",
        gettext(
            "Your form expired or came from another site. Go back, reload the page and try again."
        ),
        "csrf_failed",
    )


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's rate limits answer through this (config.urls.handler429); audited."""
    sign_in = request.path_info == reverse("account_login")
    refused = events.login_throttled if sign_in else events.rate_limited
    # The route, never the path: a reset or verification path holds its key.
    refused(message=f"{request.method} {route_of(request)}: too many requests")
    response = _error_page(
        request,
        429,
        "core/error.html",
        gettext("Too many attempts. Wait a few minutes and try again."),
        "too_many_requests",
        title=gettext("Too many attempts"),
    )
    response["Retry-After"] = "300"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page. Renders without the request context: the database or the session may be what
    failed, and the page must still render."""
    reference = _reference(request)
    # django.request has logged the traceback already (same request id); this line ties the id
    # the person sees to it even when that logger is turned down.
    logger.error("server error answered with reference %s", reference)
    if _wants_json(request):
        return JsonResponse(
            {
                "detail": gettext("Something went wrong on our side."),
                "code": "server_error",
                "reference": reference,
            },
            status=500,
        )
    try:
        html = render_to_string("500.html", {"reference": reference})
    except Exception:  # the error page itself must not fail (e.g. a missing static manifest)
        logger.exception("500.html could not be rendered")
        html = (
            "<!doctype html><title>Server error</title><h1>Something went wrong</h1>"
            f"<p>Reference: {escape(reference)}</p>"
        )
    return HttpResponse(html, status=500)
