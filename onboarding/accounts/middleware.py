"""Staff-area guards: the staff role, a second factor, and an idle timeout.

Deny by default: every path under a staff prefix needs a signed-in user with a staff role who
has a TOTP authenticator; anything else is refused here, once, rather than in each view.
"""

import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from onboarding.audit.models import Outcome
from onboarding.audit.services import audit_record

STAFF_PREFIXES = ("/staff/", "/admin/", "/api/v1/staff/")
_LAST_SEEN_KEY = "staff_last_seen"


def is_staff_path(path: str) -> bool:
    return path.startswith(STAFF_PREFIXES)


def user_has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_staff_path(request.path):
            refusal = self._refuse(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        api = request.path.startswith("/api/")
        if not user.is_authenticated:
            if api:
                return HttpResponse(status=401)
            login = reverse("account_login")
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        if not user.is_staff_role:
            audit_record(
                action="access.refused",
                actor=user,
                outcome=Outcome.REFUSED,
                message=f"{request.method} {request.path}: staff area",
            )
            raise Http404("Not found")
        if not user_has_totp(user):
            if api:
                return HttpResponse(status=403)
            return redirect("mfa_activate_totp")
        return None


class StaffIdleTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_TIMEOUT without a request (ASVS 3.3.2)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff_role:
            now = time.time()
            last_seen = request.session.get(_LAST_SEEN_KEY)
            idle_limit = settings.STAFF_IDLE_TIMEOUT.total_seconds()
            if last_seen is not None and now - last_seen > idle_limit:
                audit_record(action="auth.session_expired", actor=user, target=user)
                logout(request)
                login = reverse("account_login")
                return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
            request.session[_LAST_SEEN_KEY] = now
        return self.get_response(request)
