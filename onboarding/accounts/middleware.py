"""Staff-area guards: the staff role, a second factor, and session time limits.

Deny by default: every path under a staff prefix needs a signed-in user with a staff role (the
Django admin: the admin role) who has a TOTP authenticator; anything else is refused here, once,
rather than in each view. Pages get redirects and HTML error pages, the API gets JSON.
"""

import functools
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext

from onboarding.accounts.events import hidden_row_refused, session_expired
from onboarding.accounts.permissions import (
    Refusal,
    audit_role_refusal,
    browser_redirect,
    login_url_for,
    role_refusal,
)
from onboarding.alerts.failures import report_failure
from onboarding.core.access import RowHidden, user_has_totp
from onboarding.core.middleware import route_of
from onboarding.core.roles import STAFF_ROLES, Role

STAFF_AREAS = ("/staff", "/api/v1/staff")
ADMIN_AREA = "/admin"
API_PREFIX = "/api/"
LAST_SEEN_KEY = "staff_last_seen"
STARTED_KEY = "staff_session_started"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def roles_for_path(path: str) -> frozenset[str] | None:
    """The roles a path is reserved for, or None for a path anyone may try."""
    if _under(path, ADMIN_AREA):
        return frozenset({Role.ADMIN})
    if any(_under(path, area) for area in STAFF_AREAS):
        return STAFF_ROLES
    return None


def is_staff_path(path: str) -> bool:
    return roles_for_path(path) is not None


def _api_error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


@dataclass(frozen=True)
class StaffAccessVerified:
    """What StaffAccessMiddleware checked for this request: this user holds one of these roles
    and has an authenticator app (TOTP)."""

    user_id: int
    roles: frozenset[str]


# The request attribute the middleware sets once it has let a request in; nothing from the
# client can set an attribute on the request object.
STAFF_ACCESS_VERIFIED = "staff_access_verified"


def staff_access_verified(request: HttpRequest) -> frozenset[str] | None:
    """The roles StaffAccessMiddleware verified this request's user against (role and TOTP), or
    None when it did not run for this request, let it through unchecked, or checked another
    user than the one signed in now."""
    verified = getattr(request, STAFF_ACCESS_VERIFIED, None)
    user = getattr(request, "user", None)
    if not isinstance(verified, StaffAccessVerified) or user is None:
        return None
    if not user.is_authenticated or user.pk != verified.user_id:
        return None
    return verified.roles


class StaffAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # path_info, not path: the URL resolver matches path_info (path adds SCRIPT_NAME).
        roles = roles_for_path(request.path_info)
        if roles is not None:
            refusal = role_refusal(request.user, roles)
            if refusal is not None:
                audit_role_refusal(request, refusal, roles)
                return self._answer(request, refusal)
            # Said for this request only, so a later check (GuardedStaffAuth) need not repeat
            # the TOTP query, and repeats it whenever this middleware did not run.
            setattr(
                request,
                STAFF_ACCESS_VERIFIED,
                StaffAccessVerified(user_id=request.user.pk, roles=roles),
            )
        return self.get_response(request)

    def _answer(self, request: HttpRequest, refusal: Refusal) -> HttpResponse:
        api = request.path_info.startswith(API_PREFIX)
        if refusal is Refusal.SIGN_IN:
            if api:
                return _api_error(401, "Sign in first.", "not_authenticated")
            return browser_redirect(request, login_url_for(request))
        if refusal is Refusal.NOT_FOUND:
            if api:
                return _api_error(404, "Not found.", "not_found")
            raise Http404(
                gettext("Not found")
            )  # rendered by the 404 handler, like any unknown page
        if refusal is Refusal.SECOND_FACTOR:
            if api:
                return _api_error(403, "Set up an authenticator app (TOTP) first.", "mfa_required")
            return browser_redirect(request, reverse("mfa_activate_totp"))
        if api:
            return _api_error(403, "Your role does not allow this.", "forbidden")
        raise PermissionDenied(gettext("This area is for another role."))


class StaffIdleTimeoutMiddleware:
    """Sign staff out after STAFF_IDLE_TIMEOUT without a request, and after STAFF_SESSION_MAX_AGE
    in any case (ASVS 3.3.2: re-authentication both when idle and when actively used)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.role in STAFF_ROLES:
            now = time.time()
            session = request.session
            last_seen = session.get(LAST_SEEN_KEY)
            started = session.get(STARTED_KEY)
            expired = None
            if last_seen is not None and now - last_seen > _seconds("STAFF_IDLE_TIMEOUT"):
                expired = "idle"
            elif started is not None and now - started > _seconds("STAFF_SESSION_MAX_AGE"):
                expired = "max_age"
            if expired:
                return self._expire(request, user, expired)
            if started is None:
                session[STARTED_KEY] = now
            # The clock is written when it has moved by a thirtieth of the idle limit (a minute
            # at 30 minutes), not on every request: a staff page then costs no session UPDATE,
            # and the idle limit can only end a session up to that much early, never late.
            # A page's own background poll (the navigation's counts) is no sign of a person:
            # an open tab must not keep an idle session alive.
            if last_seen is None or (
                now - last_seen >= idle_clock_resolution() and not _is_background_poll(request)
            ):
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    def _expire(self, request: HttpRequest, user, why: str) -> HttpResponse:
        reason = "idle timeout" if why == "idle" else "maximum session age"
        try:
            logout(request)  # flushes the session: the old id no longer signs anyone in
        except Exception as error:
            # Raised from a middleware, no view's failure handling sees it: reported here.
            report_failure(
                reason="session_expiry_failed",
                user_message=f"An expired staff session ({reason}) could not be ended",
                error=error,
                actor=user,
                context={"route": route_of(request), "method": request.method},
            )
            raise
        # Audited once the session is ended, with the user taken before logout cleared it.
        session_expired(user=user, reason=reason)
        if request.path_info.startswith(API_PREFIX):
            return _api_error(401, "Your session has expired; sign in again.", "session_expired")
        return browser_redirect(request, login_url_for(request))


class HiddenRowAuditMiddleware:
    """Records each page's 404 for a row that exists but is not the user's as "access.refused".

    The access rules only decide (onboarding.core.access raises RowHidden); the request is where
    the refusal has an actor, so it is written here, and by the API's 404 handler for the API.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, RowHidden):
            hidden_row_refused(request, exception)


# URL names of requests a staff page sends by itself, on a timer (base.html's counts poll).
BACKGROUND_POLL_URL_NAMES = ("staff:nav_counts",)


@functools.cache
def _background_poll_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in BACKGROUND_POLL_URL_NAMES)


def _is_background_poll(request: HttpRequest) -> bool:
    return request.path_info in _background_poll_paths()


def idle_clock_resolution() -> float:
    """How far the staff idle clock may lag behind the last request, in seconds."""
    return min(60.0, _seconds("STAFF_IDLE_TIMEOUT") / 30)


def _seconds(setting: str) -> float:
    value = getattr(settings, setting)
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


__all__ = [
    "LAST_SEEN_KEY",
    "STAFF_ACCESS_VERIFIED",
    "STARTED_KEY",
    "HiddenRowAuditMiddleware",
    "StaffAccessMiddleware",
    "StaffAccessVerified",
    "StaffIdleTimeoutMiddleware",
    "is_staff_path",
    "roles_for_path",
    "staff_access_verified",
    "user_has_totp",
]
