"""A stolen session cannot become a takeover: changing the email addresses, the password, the
second factor or the card asks for the password again (allauth's reauthentication), and every
password confirmation is throttled and its failures audited."""

import time
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings as django_settings
from django.urls import reverse

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
WRONG = "not-the-password-42"
REAUTHENTICATE = reverse("account_reauthenticate")


@pytest.fixture
def second_address(customer):
    EmailAddress.objects.filter(user=customer).update(primary=True, verified=True)
    if not EmailAddress.objects.filter(user=customer, email=customer.email).exists():
        EmailAddress.objects.create(
            user=customer, email=customer.email, primary=True, verified=True
        )
    return EmailAddress.objects.create(
        user=customer, email="second@example.com", primary=False, verified=True
    )


def asks_to_reauthenticate(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(REAUTHENTICATE)


def reauthenticate(client, password: str = DEFAULT_PASSWORD, *, at: str = REAUTHENTICATE):
    return client.post(at, {"password": password})


def test_adding_an_email_address_asks_for_the_password_first(customer_client, customer):
    response = customer_client.post(
        reverse("account_email"), {"action_add": "", "email": "thief@example.com"}
    )
    assert asks_to_reauthenticate(response)
    assert not EmailAddress.objects.filter(email="thief@example.com").exists()
    assert not AdminAlert.objects.exists()  # asking for the password is no failure of ours


def test_an_email_address_added_after_the_password_is_kept(customer_client, customer):
    asked = customer_client.post(
        reverse("account_email"), {"action_add": "", "email": "new@example.com"}
    )
    resumed = reauthenticate(customer_client, at=asked["Location"])
    assert resumed.status_code == 302
    assert EmailAddress.objects.filter(user=customer, email="new@example.com").exists()


def test_making_another_address_primary_asks_for_the_password_first(
    customer_client, customer, second_address
):
    response = customer_client.post(
        reverse("account_email"), {"action_primary": "", "email": second_address.email}
    )
    assert asks_to_reauthenticate(response)
    second_address.refresh_from_db()
    assert not second_address.primary


def test_removing_an_address_asks_for_the_password_first(customer_client, customer, second_address):
    response = customer_client.post(
        reverse("account_email"), {"action_remove": "", "email": second_address.email}
    )
    assert asks_to_reauthenticate(response)
    assert EmailAddress.objects.filter(pk=second_address.pk).exists()


def test_a_fresh_sign_in_is_not_a_reauthentication(client, customer):
    # Signing in with a stolen session cookie needs no password; signing in anew is no
    # confirmation either until the password is asked for again on the sensitive page.
    client.post(reverse("account_login"), {"login": customer.email, "password": DEFAULT_PASSWORD})
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "thief@example.com"}
    )
    assert asks_to_reauthenticate(response)


def test_the_second_factor_asks_for_the_password_first(customer_client):
    assert asks_to_reauthenticate(customer_client.get(reverse("mfa_activate_totp")))


def test_the_password_change_asks_for_the_current_password(customer_client, customer):
    refused = customer_client.post(
        reverse("account_change_password"),
        {
            "oldpassword": WRONG,
            "password1": "violet-harbour-seven-88",
            "password2": "violet-harbour-seven-88",
        },
    )
    assert refused.status_code == 200
    assert "oldpassword" in refused.context["form"].errors
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)
    entry = AuditEntry.objects.get(action="auth.password_confirmation_failed")
    assert entry.outcome == "failure" and entry.actor == customer


def test_eleven_wrong_passwords_are_throttled_then_even_the_right_one_waits(
    customer_client, customer, monkeypatch
):
    # The limit is 10 a minute; on a loaded machine eleven Argon2 checks can take longer than
    # that, so the limiter's clock stands still while they run (its waits still use the real one).
    now = time.time()
    frozen = SimpleNamespace(time=lambda: now, monotonic=time.monotonic, sleep=time.sleep)
    monkeypatch.setattr(allauth_ratelimit, "time", frozen)
    answers = [reauthenticate(customer_client, WRONG).status_code for _ in range(11)]
    assert answers[:10] == [200] * 10
    assert answers[10] == 429
    assert reauthenticate(customer_client).status_code == 429
    response = customer_client.post(
        reverse("account_email"), {"action_add": "", "email": "thief@example.com"}
    )
    assert asks_to_reauthenticate(response)
    failures = AuditEntry.objects.filter(actor=customer, outcome="failure")
    assert failures.count() >= 5
    assert AuditEntry.objects.filter(action="auth.rate_limited", outcome="refused").exists()


def test_wrong_current_passwords_on_the_password_change_are_throttled(customer_client, customer):
    form = {
        "oldpassword": WRONG,
        "password1": "violet-harbour-7x",
        "password2": "violet-harbour-7x",
    }
    answers = [
        customer_client.post(reverse("account_change_password"), form).status_code
        for _ in range(11)
    ]
    assert 429 in answers
    right = {**form, "oldpassword": DEFAULT_PASSWORD}
    assert customer_client.post(reverse("account_change_password"), right).status_code == 429
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


def test_configured_confirmation_limits_are_the_documented_ones():
    limits = django_settings.ACCOUNT_RATE_LIMITS
    assert limits["reauthenticate"] == "10/m/user"
    assert limits["change_password"] == "5/m/user"
    assert django_settings.ACCOUNT_REAUTHENTICATION_REQUIRED is True
    assert django_settings.ACCOUNT_REAUTHENTICATION_TIMEOUT == 300


def test_each_wrong_password_on_the_reauthentication_page_is_audited_once(
    customer_client, customer
):
    for _ in range(7):  # past the sign-in throttle of 5 per address: refused, not wrong
        reauthenticate(customer_client, WRONG)
    failed = AuditEntry.objects.filter(action="auth.password_confirmation_failed", actor=customer)
    assert failed.count() == 5
    assert AuditEntry.objects.filter(action="auth.login_throttled").exists()
