"""Sign-in throttling (allauth's ACCOUNT_RATE_LIMITS), and its audit entries."""

from django.conf import settings as django_settings
from django.urls import reverse

from onboarding.audit.models import AuditEntry
from tests.accounts.flows import submit_password

WRONG = "not-the-password-42"


def fail_times(client, email: str, times: int) -> None:
    for _ in range(times):
        response = submit_password(client, email, password=WRONG)
        assert response.status_code == 200


def test_repeated_failures_for_one_address_are_throttled(settings, client, customer):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    fail_times(client, customer.email, 3)
    response = submit_password(client, customer.email, password=WRONG)
    assert b"Too many failed login attempts" in response.content


def test_throttled_sign_in_is_audited(settings, client, customer):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    fail_times(client, customer.email, 4)
    entry = AuditEntry.objects.get(action="auth.login_throttled")
    assert entry.outcome == "refused"
    assert customer.email in entry.message
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 3


def test_right_password_is_refused_while_throttled(settings, client, customer):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    fail_times(client, customer.email, 3)
    submit_password(client, customer.email)
    assert client.get(reverse("account_email")).status_code == 302
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_throttling_one_address_leaves_another_alone(settings, client, customer, other_customer):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    fail_times(client, customer.email, 3)
    response = submit_password(client, other_customer.email)
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="auth.login").actor == other_customer


def test_failures_from_one_client_address_are_throttled_across_accounts(
    settings, client, customer, other_customer
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/ip"}
    fail_times(client, customer.email, 2)
    fail_times(client, other_customer.email, 1)
    response = submit_password(client, other_customer.email, password=WRONG)
    assert b"Too many failed login attempts" in response.content


def test_too_many_sign_in_requests_get_our_429_page_and_are_audited(settings, client, db):
    settings.ACCOUNT_RATE_LIMITS = {"login": "2/m/ip"}
    fail_times(client, "someone@example.com", 2)
    response = submit_password(client, "someone@example.com", password=WRONG)
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    assert b"Too many attempts" in response.content
    assert b"topbar" in response.content  # our base.html, not allauth's bare page
    assert AuditEntry.objects.get(action="auth.login_throttled").outcome == "refused"


def test_configured_sign_in_limits_are_the_documented_ones():
    # docs/security.md promises these numbers; a change here must change the document too.
    assert django_settings.ACCOUNT_RATE_LIMITS["login_failed"] == "5/5m/ip,5/5m/key"
