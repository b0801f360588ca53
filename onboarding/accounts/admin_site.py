"""The Django admin site: admins only, and signed in through allauth (password + TOTP).

Its own module so AdminConfig.default_site can import it without importing any admin.py.
"""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from onboarding.core.redirects import safe_next_url
from onboarding.core.roles import Role


class OnboardingAdminSite(admin.AdminSite):
    site_header = "Onboarding administration"
    site_title = "Onboarding admin"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_authenticated and user.is_active and user.role == Role.ADMIN

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # The admin's own form would sign in with a password alone; allauth asks for TOTP too.
        target = safe_next_url(request, request.GET.get("next"), reverse("admin:index"))
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")

    def logout(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # Sign out through allauth so the sign-out is audited like any other.
        return HttpResponseRedirect(reverse("account_logout"))
