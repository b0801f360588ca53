"""Staff pages for admin alerts: a filtered list, a detail page, acknowledge and resolve.

StaffAccessMiddleware has already refused anyone without a staff role and TOTP; every staff role
may look, only admins may act (the services refuse the others).
"""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.alerts.models import SEVERITY_BADGES, AdminAlert, AlertSeverity, AlertState
from onboarding.alerts.permissions import is_admin
from onboarding.alerts.selectors import admin_alert_counts, admin_alert_list, admin_alert_reasons
from onboarding.alerts.services import admin_alert_acknowledge, admin_alert_resolve
from onboarding.core.access import get_visible_or_404, visible_to
from onboarding.core.errors import DomainError, Forbidden
from onboarding.core.pagination import page_number

PAGE_SIZE = 25


def _choice(value: str, choices) -> str:
    # An unknown filter value is ignored rather than answered with an error page.
    return value if value in choices.values else ""


@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "state": _choice(request.GET.get("state", ""), AlertState),
        "severity": _choice(request.GET.get("severity", ""), AlertSeverity),
        "reason": request.GET.get("reason", "")[:64],
    }
    alerts = visible_to(request.user, admin_alert_list(**filters))
    page = Paginator(alerts, PAGE_SIZE).get_page(page_number(request))
    counts = admin_alert_counts()
    return render(
        request,
        "alerts/list.html",
        {
            "page": page,
            "filters": filters,
            "state_counts": [
                (value, label, counts["state"][value]) for value, label in AlertState.choices
            ],
            "severity_counts": [
                (value, counts["unresolved_severity"][value], SEVERITY_BADGES[value])
                for value in AlertSeverity.values
            ],
            # The same counts as the page writes them: the severity's name in the reader's language.
            "severity_rows": [
                (label, counts["unresolved_severity"][value], SEVERITY_BADGES[value])
                for value, label in AlertSeverity.choices
            ],
            "reasons": admin_alert_reasons(),
            "states": AlertState.choices,
            "severities": AlertSeverity.choices,
        },
    )


def _detail_context(request: HttpRequest, alert: AdminAlert, error: str = "") -> dict:
    return {
        "alert": alert,
        "can_act": is_admin(request.user),
        "error": error,
        "context_json": json.dumps(alert.context, indent=2, sort_keys=True),
    }


@require_GET
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_visible_or_404(
        request.user,
        AdminAlert.objects.select_related("acknowledged_by", "resolved_by"),
        pk=alert_id,
    )
    return render(request, "alerts/detail.html", _detail_context(request, alert))


def _act(request: HttpRequest, alert_id: int, move, **kwargs) -> HttpResponse:
    alert = get_visible_or_404(request.user, AdminAlert, pk=alert_id)
    htmx = request.headers.get("HX-Request") == "true"
    error, status = "", 200
    try:
        alert = move(alert_id=alert.pk, actor=request.user, **kwargs)
    except Forbidden as refusal:
        # A role that may look but not act: the page again, saying why, answered 403.
        error, status = refusal.message, refusal.status_code
    except DomainError as refusal:
        error = refusal.message
    if htmx:
        # htmx swaps only 2xx answers: an illegal move answers 200 with its reason in the fragment.
        return render(
            request, "alerts/_actions.html", _detail_context(request, alert, error), status=status
        )
    if status != 200:
        return render(
            request, "alerts/detail.html", _detail_context(request, alert, error), status=status
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            gettext("Alert #%(number)s is now %(state)s.")
            % {"number": alert.pk, "state": alert.get_state_display().lower()},
        )
    return redirect("alerts:detail", alert_id=alert.pk)


@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _act(request, alert_id, admin_alert_acknowledge)


@require_POST
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _act(request, alert_id, admin_alert_resolve, note=request.POST.get("note", ""))
