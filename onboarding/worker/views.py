"""The staff page for background work: workers, queue, failures, and an admin's re-queue."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onboarding.alerts.permissions import is_admin
from onboarding.core.errors import DomainError, Forbidden
from onboarding.worker.selectors import task_recent_failures, task_status_counts, worker_list
from onboarding.worker.services import task_requeue


@require_GET
def task_overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)


def _overview(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "worker/overview.html",
        {
            "workers": worker_list(),
            "counts": task_status_counts(),
            "failures": task_recent_failures(),
            "can_requeue": is_admin(request.user),
        },
        status=status,
    )


@require_POST
def task_requeue_view(request: HttpRequest, task_id: str) -> HttpResponse:
    try:
        row = task_requeue(task_result_id=task_id, actor=request.user)
    except Forbidden as refusal:
        # A role that may look but not act: the page again, saying why, answered 403.
        messages.error(request, refusal.message)
        return _overview(request, status=refusal.status_code)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, gettext("Task %(task)s is queued again.") % {"task": row.task_path}
        )
    return redirect("tasks:list")
