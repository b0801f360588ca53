"""A path can hold a secret (a password-reset or verification key): the alerts and audit entries
staff read name the route instead."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import resolve

from config.views import too_many_requests
from onboarding.alerts.failures import FailureAlertMiddleware
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry

KEY = "3-c8k2v1-0123456789abcdef0123456789abcdef"
RESET_PATH = f"/accounts/password/reset/key/{KEY}/"


def _request(method: str = "get"):
    request = getattr(RequestFactory(), method)(RESET_PATH)
    request.user = AnonymousUser()
    request.resolver_match = resolve(RESET_PATH)
    return request


def test_a_page_failing_on_a_reset_key_path_raises_an_alert_without_the_key(db):
    middleware = FailureAlertMiddleware(lambda request: None)
    middleware.process_exception(_request(), RuntimeError("template broke"))
    alert = AdminAlert.objects.get()
    assert KEY not in str(alert.context)
    assert KEY not in alert.message
    assert alert.context["route"].startswith("accounts/password/reset/key/")


def test_a_throttled_reset_key_page_is_audited_without_the_key(db):
    response = too_many_requests(_request("post"))
    assert response.status_code == 429
    entry = AuditEntry.objects.get(action="auth.rate_limited")
    assert KEY not in entry.message
    assert "accounts/password/reset/key/" in entry.message
