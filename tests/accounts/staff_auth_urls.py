"""The project's URLs plus a small API guarded by StaffAuth and a page guarded by role_required,
outside /staff/ so the middleware stays out of the way and the two guards are tested alone."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI, Router

from config.urls import handler403, handler404, handler500  # noqa: F401 (same error pages)
from config.urls import urlpatterns as project_urlpatterns
from onboarding.accounts.permissions import StaffAuth, role_required
from onboarding.core.roles import Role

managers = Router(auth=StaffAuth(roles={Role.MANAGER}))


@managers.get("/whoami")
def whoami(request: HttpRequest) -> dict:
    return {"email": request.auth.email}


@managers.post("/approve")
def approve(request: HttpRequest) -> dict:
    return {"approved": True}


api = NinjaAPI(urls_namespace="staff_auth_test", docs_url=None, openapi_url=None)
api.add_router("/managers/", managers)


@role_required(Role.MANAGER, Role.ADMIN)
def manager_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("manager page")


urlpatterns = [
    *project_urlpatterns,
    path("guarded-api/", api.urls),
    path("guarded-page/", manager_page, name="guarded_page"),
]
