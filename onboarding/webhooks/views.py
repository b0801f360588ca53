"""Staff pages for webhooks, admins only: the endpoints (register one; its secret shown once),
one endpoint with its delivery log, pause and resume, rotate the secret, resend, replay.

Every view asks webhooks_require_admin first: other staff roles get 403 and the refusal is
recorded. Domain errors become field errors or a message, never a 500.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onboarding.core.errors import DomainError, Forbidden, NotFound
from onboarding.core.pagination import page_number
from onboarding.webhooks.catalog import EVENT_TYPES
from onboarding.webhooks.forms import EndpointForm, ReplayForm
from onboarding.webhooks.guard_texts import guard_text
from onboarding.webhooks.models import DeliveryStatus
from onboarding.webhooks.selectors import delivery_log, endpoint_get, endpoint_list, replay_list
from onboarding.webhooks.services import (
    delivery_resend,
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
    replay_request,
    webhooks_require_admin,
)

LOG_PAGE_SIZE = 25


def admins_only(view):
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            webhooks_require_admin(request.user, object_id=str(kwargs.get("endpoint_id", "")))
        except Forbidden as refusal:
            raise PermissionDenied(refusal.message) from None
        return view(request, *args, **kwargs)

    return guarded


def _endpoint_or_404(endpoint_id: int):
    try:
        return endpoint_get(endpoint_id=endpoint_id)
    except NotFound:
        raise Http404(gettext("No such webhook endpoint.")) from None


def _secret_page(request: HttpRequest, endpoint, secret: str, *, rotated: bool) -> HttpResponse:
    response = render(
        request,
        "webhooks/secret.html",
        {"endpoint": endpoint, "secret": secret, "rotated": rotated},
    )
    response["Cache-Control"] = "no-store"  # shown once: no copy in any cache
    return response


@require_http_methods(["GET", "POST"])
@admins_only
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = endpoint_create(actor=request.user, **form.cleaned_data)
            except DomainError as refusal:
                # The URL guard refuses in English (its text is what the log stores).
                form.add_error(
                    refusal.field if refusal.field in form.fields else None,
                    guard_text(refusal.message),
                )
            else:
                return _secret_page(request, created.endpoint, created.secret, rotated=False)
        status = 400
    return render(
        request,
        "webhooks/list.html",
        {"endpoints": endpoint_list(), "form": form, "event_types": EVENT_TYPES},
        status=status,
    )


def _detail(request: HttpRequest, endpoint_id: int, *, replay_form=None, status=200):
    endpoint = _endpoint_or_404(endpoint_id)
    status_filter = request.GET.get("status", "")
    log = delivery_log(endpoint_id=endpoint.pk, status=status_filter)
    page = Paginator(log, LOG_PAGE_SIZE).get_page(page_number(request))
    template = "webhooks/_log.html" if request.headers.get("HX-Request") else "webhooks/detail.html"
    return render(
        request,
        template,
        {
            "endpoint": endpoint,
            "page": page,
            "status_filter": status_filter,
            "statuses": DeliveryStatus.choices,
            "replays": replay_list(endpoint_id=endpoint.pk)[:10],
            "replay_form": replay_form or ReplayForm(),
        },
        status=status,
    )


@require_GET
@admins_only
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    return _detail(request, endpoint_id)


@require_POST
@admins_only
def endpoint_pause(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _endpoint_or_404(endpoint_id)
    paused = request.POST.get("paused") == "1"
    endpoint = endpoint_update(actor=request.user, endpoint_id=endpoint_id, paused=paused)
    messages.success(
        request, gettext("The endpoint is %(state)s.") % {"state": endpoint.state_label}
    )
    return redirect("webhooks:detail", endpoint_id=endpoint_id)


@require_POST
@admins_only
def endpoint_delete_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_or_404(endpoint_id)
    cancelled = endpoint_delete(actor=request.user, endpoint_id=endpoint_id)
    text = gettext("The endpoint %(url)s is deleted.") % {"url": endpoint.url}
    if cancelled:
        text += " " + ngettext(
            "%(n)d pending delivery was cancelled.",
            "%(n)d pending deliveries were cancelled.",
            cancelled,
        ) % {"n": cancelled}
    messages.success(request, text)
    return redirect("webhooks:list")


@require_POST
@admins_only
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _endpoint_or_404(endpoint_id)
    rotated = endpoint_secret_rotate(actor=request.user, endpoint_id=endpoint_id)
    return _secret_page(request, rotated.endpoint, rotated.secret, rotated=True)


@require_POST
@admins_only
def endpoint_replay(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _endpoint_or_404(endpoint_id)
    form = ReplayForm(request.POST)
    if form.is_valid():
        try:
            replay_request(actor=request.user, endpoint_id=endpoint_id, **form.cleaned_data)
        except DomainError as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(
                request, gettext("The replay is queued: its events go out a batch at a time.")
            )
            return redirect("webhooks:detail", endpoint_id=endpoint_id)
    return _detail(request, endpoint_id, replay_form=form, status=400)


@require_POST
@admins_only
def delivery_resend_view(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    _endpoint_or_404(endpoint_id)
    try:
        delivery = delivery_resend(
            actor=request.user, endpoint_id=endpoint_id, delivery_id=delivery_id
        )
    except NotFound as missing:
        messages.error(request, missing.message)
    else:
        messages.success(
            request, gettext("%(delivery)s is queued again.") % {"delivery": delivery.webhook_id}
        )
    return redirect("webhooks:detail", endpoint_id=endpoint_id)
