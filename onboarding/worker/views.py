"""The staff page for background work: workers, queue, failures, and an admin's re-queue."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from onboarding.alerts.permissions import Forbidden, is_admin
from onboarding.core.errors import DomainError
from onboarding.worker.selectors import task_recent_failures, task_status_counts, worker_list
from onboarding.worker.services import task_requeue


@require_GET
def task_overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "worker/overview.html",
        {
            "workers": worker_list(),
            "counts": task_status_counts(),
            "failures": task_recent_failures(),
            "can_requeue": is_admin(request.user),
        },
    )


@require_POST
def task_requeue_view(request: HttpRequest, task_id: str) -> HttpResponse:
    try:
        row = task_requeue(task_result_id=task_id, actor=request.user)
    except Forbidden as exc:
        return HttpResponse(exc.message, status=403, content_type="text/plain")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Task {row.task_path} is queued again.")
    return redirect("tasks:list")
