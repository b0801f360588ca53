"""Shared by the download tests of documents the worker prepares (invoice and credit-note PDFs,
certificates of acceptance): the broken template that makes a rendering fail, the task queued
for a document, the page's poll, and the clock of a retry's backoff."""

from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from onboarding.worker.models import TaskKey

# WeasyPrint cannot lay this out (an infinite font size): a restyle gone wrong.
UNRENDERABLE_CSS = "body { font-size: 1e308px; }"


@contextmanager
def unrenderable(settings, tmp_path: Path, template: str, *, inside_style: bool = False):
    """While open, the shipped template `template` (e.g. "billing/pdf/document.css") is found
    with UNRENDERABLE_CSS added: in its <style> element when `inside_style`, else at its end."""
    shipped = next(
        Path(django_settings.BASE_DIR, "onboarding", app, "templates", template)
        for app in ("billing", "contracts")
        if Path(django_settings.BASE_DIR, "onboarding", app, "templates", template).exists()
    )
    text = shipped.read_text()
    if inside_style:
        text = text.replace("</style>", UNRENDERABLE_CSS + "\n</style>")
    else:
        text += "\n" + UNRENDERABLE_CSS + "\n"
    broken = tmp_path / "templates" / template
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text(text)
    original = settings.TEMPLATES
    settings.TEMPLATES = [{**original[0], "DIRS": [tmp_path / "templates", *original[0]["DIRS"]]}]
    try:
        yield
    finally:
        settings.TEMPLATES = original


def queued_task(key: str) -> DBTaskResult:
    """The task queued (task_enqueue_once) for a document's key."""
    return TaskKey.objects.select_related("task_result").get(key=key).task_result


def poll(client, url: str):
    """The being-prepared page's own request for its status (htmx)."""
    return client.get(url, headers={"HX-Request": "true"})


def backoff_passed(task: DBTaskResult) -> None:
    """The retry's backoff is over: the worker may run it now."""
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())


def waited(task: DBTaskResult, seconds: float) -> None:
    """The task has waited `seconds` for a worker (none took it)."""
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=seconds)
    )
