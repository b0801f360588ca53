"""Role checks for pages and the API, decided by one function so both answer alike.

`role_refusal(user, roles)` says why a user may not enter an area that needs one of `roles`
(or None). StaffAccessMiddleware uses it for every /staff/, /api/v1/staff/ and /admin/ path;
`role_required` narrows a page view further (a manager-only page); `StaffAuth` does the same for
django-ninja routers. Customers at a staff door get a 404 (nothing there for them), staff without
the role a 403, staff without a second factor are sent to set one up; every refusal is audited.
"""

from collections.abc import Callable, Iterable
from enum import Enum
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import SessionAuth

from onboarding.accounts.events import access_refused
from onboarding.core.access import user_has_totp
from onboarding.core.redirects import safe_next_url
from onboarding.core.roles import STAFF_ROLES, Role


class Refusal(Enum):
    SIGN_IN = "sign_in"  # anonymous (or inactive): sign in first
    NOT_FOUND = "not_found"  # a customer at a staff door: pretend there is nothing here
    WRONG_ROLE = "wrong_role"  # staff, but not a role this area is for
    SECOND_FACTOR = "second_factor"  # a staff role without an authenticator app


def role_refusal(user, roles: Iterable[str]) -> Refusal | None:
    allowed = frozenset(roles)
    if user is None or not user.is_authenticated or not user.is_active:
        return Refusal.SIGN_IN
    if user.role not in allowed:
        return Refusal.WRONG_ROLE if user.role in STAFF_ROLES else Refusal.NOT_FOUND
    if user.role in STAFF_ROLES and not user_has_totp(user):
        return Refusal.SECOND_FACTOR
    return None


def audit_role_refusal(request: HttpRequest, refusal: Refusal, roles: Iterable[str]) -> None:
    """Refusals of a signed-in user are audited; an anonymous visitor is just asked to sign in."""
    if refusal in (Refusal.NOT_FOUND, Refusal.WRONG_ROLE):
        needed = ", ".join(sorted(roles))
        access_refused(
            actor=request.user,
            reason=f"{request.method} {request.path}: needs role {needed}",
        )


def login_url_for(request: HttpRequest) -> str:
    # A path such as "//evil.example/x" reaches us too; it must not become the sign-in's next.
    back = safe_next_url(request, request.get_full_path(), reverse("home"))
    return f"{reverse('account_login')}?{urlencode({'next': back})}"


def browser_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests (which would swap the page into a fragment)."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def role_required(*roles: str) -> Callable:
    """Page-view decorator: `@role_required(Role.MANAGER, Role.ADMIN)`.

    Anonymous: to the sign-in page. Customer without the role: 404. Staff without the role: 403.
    Staff without TOTP: to the authenticator-app setup page.
    """
    if not roles or not set(roles) <= set(Role.values):
        raise ValueError(f"role_required needs one or more of {Role.values}, got {roles}")

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = role_refusal(request.user, roles)
            if refusal is None:
                return view(request, *args, **kwargs)
            audit_role_refusal(request, refusal, roles)
            if refusal is Refusal.SIGN_IN:
                return browser_redirect(request, login_url_for(request))
            if refusal is Refusal.SECOND_FACTOR:
                return browser_redirect(request, reverse("mfa_activate_totp"))
            if refusal is Refusal.WRONG_ROLE:
                raise PermissionDenied(gettext("This page is for another role."))
            raise Http404(gettext("Not found"))

        return guarded

    return decorate


class StaffAuth(SessionAuth):
    """django-ninja auth for staff routes: `Router(auth=StaffAuth(roles={Role.MANAGER}))`.

    Session based and CSRF-checked like ninja's `django_auth`; the user must hold one of `roles`
    (every staff role by default) and have an authenticator app. Answers: anonymous 401,
    customer 404, staff without the role 403, staff without TOTP 403 (code "mfa_required").
    """

    def __init__(self, roles: Iterable[str] = STAFF_ROLES, csrf: bool = True) -> None:
        self.roles = frozenset(roles)
        if not self.roles or not self.roles <= STAFF_ROLES:
            raise ValueError(f"StaffAuth takes staff roles only, got {sorted(self.roles)}")
        super().__init__(csrf=csrf)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        refusal = role_refusal(request.user, self.roles)
        if refusal is None:
            return request.user
        audit_role_refusal(request, refusal, self.roles)
        if refusal is Refusal.SIGN_IN:
            raise AuthenticationError(401, "Sign in first.")
        if refusal is Refusal.NOT_FOUND:
            raise Http404(gettext("Not found"))
        if refusal is Refusal.SECOND_FACTOR:
            raise AuthorizationError(403, "Set up an authenticator app (TOTP) first.")
        raise AuthorizationError(403, "Your role does not allow this.")
