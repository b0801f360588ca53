"""The project's URLs and error handlers, plus views that fail on purpose."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import (  # noqa: F401 (the project's error handlers, unchanged)
    handler400,
    handler403,
    handler404,
    handler429,
    handler500,
)
from config.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "db password is hunter2"  # what an exception might say; must never be shown


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_DETAIL)


urlpatterns = [
    *project_urlpatterns,
    path("boom/", boom),
    path("api/v1/boom/", boom),
    path("forbidden/", forbidden),
]
