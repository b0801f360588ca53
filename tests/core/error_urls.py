"""The project's URLs and error handlers, plus views that fail on purpose (first: the project's
catch-all under /api/ would take theirs)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import Router

from config.openapi import OnboardingAPI
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


failing_router = Router()


@failing_router.get("/boom")
def boom_operation(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


@failing_router.get("/forbidden")
def forbidden_operation(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_DETAIL)


# An API of the project's kind with operations that fail, for what its error handling answers.
failing_api = OnboardingAPI(urls_namespace="failing-api", docs_url=None, openapi_url=None)
failing_api.add_router("/", failing_router)

urlpatterns = [
    path("boom/", boom),
    path("api/v1/boom/", boom),
    path("api/v1/failing/", failing_api.urls),
    path("forbidden/", forbidden),
    *project_urlpatterns,
]
