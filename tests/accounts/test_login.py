"""The real sign-in through allauth's views: password, then the TOTP code for staff; audited."""

import time
from types import SimpleNamespace

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal import auth as allauth_totp
from django.urls import reverse

from onboarding.audit.models import AuditEntry
from onboarding.core.roles import Role
from tests.accounts import flows
from tests.accounts.flows import sign_in, submit_password, submit_totp, totp_code
from tests.factories import DEFAULT_PASSWORD, UserFactory


def actions():
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


# --- staff: password and authenticator code ---------------------------------------------------


def test_staff_password_alone_does_not_sign_in(client, staff_with_secret):
    user, _ = staff_with_secret
    response = submit_password(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/staff/")["Location"].startswith(reverse("account_login"))


def test_staff_signs_in_with_password_and_totp_and_reaches_staff_pages(client, staff_with_secret):
    user, secret = staff_with_secret
    sign_in(client, user.email, secret=secret)
    response = client.get("/staff/")
    assert response.status_code == 200
    assert response.wsgi_request.user == user


def test_wrong_totp_code_does_not_sign_in_and_is_audited(client, staff_with_secret):
    user, secret = staff_with_secret
    submit_password(client, user.email)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    response = submit_totp(client, wrong)
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/staff/").status_code == 302
    failed = AuditEntry.objects.get(action="auth.mfa_failed")
    assert failed.actor == user
    assert failed.outcome == "failure"


def test_a_totp_code_cannot_be_used_twice(client, staff_with_secret, monkeypatch):
    user, secret = staff_with_secret
    # Both uses fall in the period the code belongs to, so the second is refused as a reuse:
    # the codes' clock (allauth's and the test's) stands still in the middle of a period, as a
    # loaded machine could otherwise take the sign-ins past its end (the wall clock's boundary).
    period = mfa_settings.TOTP_PERIOD
    now = (time.time() // period) * period + period / 2
    frozen = SimpleNamespace(time=lambda: now)
    monkeypatch.setattr(allauth_totp, "time", frozen)
    monkeypatch.setattr(flows, "time", frozen)
    submit_password(client, user.email)
    code = totp_code(secret)
    first = submit_totp(client, code)
    assert first.status_code == 302
    assert client.get("/staff/").status_code == 200
    client.post(reverse("account_logout"))
    assert client.get("/staff/").status_code == 302
    submit_password(client, user.email)
    response = submit_totp(client, code)
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/staff/").status_code == 302
    assert totp_code(secret) == code  # still the current code: refused for its reuse alone


def test_admin_reaches_the_django_admin_only_after_totp(client, admin_with_secret):
    user, secret = admin_with_secret
    submit_password(client, user.email)
    assert client.get("/admin/").status_code == 302
    submit_totp(client, totp_code(secret))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"Onboarding administration" in response.content


def test_django_admin_login_form_is_replaced_by_the_allauth_sign_in(client, admin_with_secret):
    user, _ = admin_with_secret
    # The admin's own form would accept a password alone: it must never sign anyone in.
    client.force_login(user)
    response = client.post(
        "/admin/login/", {"username": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_without_totp_signs_in_and_is_sent_to_set_it_up(client, sysops_without_totp):
    sign_in(client, sysops_without_totp.email)
    response = client.get("/staff/")
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit
def test_staff_member_sets_up_totp_and_then_reaches_staff_pages(client, empty_cache):
    sysops_without_totp = UserFactory(role=Role.SYSOPS)
    sign_in(client, sysops_without_totp.email)
    # allauth asks for the password again before a second factor can be added.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]  # the secret the QR code on the page carries
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
    added = AuditEntry.objects.filter(action="auth.mfa_added")
    assert {entry.message for entry in added} == {"totp added", "recovery_codes added"}
    assert {entry.actor_id for entry in added} == {sysops_without_totp.pk}


# --- audit of sign-ins ------------------------------------------------------------------------


def test_successful_sign_in_is_audited(client, customer):
    sign_in(client, customer.email)
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor == customer
    assert entry.outcome == "success"
    assert entry.request_id
    # A customer's sign-in is the customer's (the health score follows it, docs/health.md).
    assert entry.customer_id == customer.pk


def test_staff_sign_in_is_audited_once_the_second_factor_is_given(client, staff_with_secret):
    user, secret = staff_with_secret
    submit_password(client, user.email)
    assert "auth.login" not in actions()
    submit_totp(client, totp_code(secret))
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor == user
    assert entry.customer_id is None  # staff sign-ins concern no customer


def test_failed_sign_in_is_audited_without_the_password(client, customer):
    response = submit_password(client, customer.email, password="wrong-password-123")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.outcome == "failure"
    assert customer.email in entry.message
    assert "wrong-password-123" not in str(
        AuditEntry.objects.values_list("message", "changes").get(pk=entry.pk)
    )


def test_sign_in_for_an_unknown_address_is_audited(client, db):
    submit_password(client, "nobody@example.com", password="whatever-it-is-1")
    assert "nobody@example.com" in AuditEntry.objects.get(action="auth.login_failed").message


def test_sign_out_is_audited(client, customer):
    sign_in(client, customer.email)
    client.post(reverse("account_logout"))
    assert AuditEntry.objects.get(action="auth.logout").actor == customer


def test_deactivated_account_cannot_sign_in_and_the_refusal_is_audited(client, customer):
    customer.is_active = False
    customer.save()
    response = submit_password(client, customer.email)
    assert response["Location"] == reverse("account_inactive")
    assert client.get(reverse("account_email")).status_code == 302
    entry = AuditEntry.objects.get(action="auth.login_refused")
    assert entry.outcome == "refused"
    assert entry.object_id == str(customer.pk)
    assert not AuditEntry.objects.filter(action="auth.login").exists()
