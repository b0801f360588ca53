"""Sign-up: a weak password gets one strength message, not one per validator, and a second
password that differs is said to differ even when the first is refused."""

import pytest
from django.urls import reverse

from onboarding.accounts.forms import PASSWORDS_DIFFER
from onboarding.accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_site_signs_up_with_the_projects_form(settings):
    assert settings.ACCOUNT_FORMS["signup"] == "onboarding.accounts.forms.SignupForm"


def _sign_up(client, password1: str, password2: str):
    return client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": password1, "password2": password2},
    )


def test_password_gets_one_message_and_the_mismatch_is_said(client):
    response = _sign_up(client, "password", "passwort")
    form = response.context["form"]
    assert form.errors["password1"] == [
        "This password is too short. It must contain at least 12 characters."
    ]
    assert form.errors["password2"] == [PASSWORDS_DIFFER]
    assert not User.objects.filter(email="new@example.com").exists()


def test_the_same_weak_password_twice_gets_one_message_and_no_mismatch(client):
    form = _sign_up(client, "password", "password").context["form"]
    assert len(form.errors["password1"]) == 1
    assert "password2" not in form.errors


def test_a_long_guessable_password_keeps_the_estimators_advice(client):
    form = _sign_up(client, "123456789012", "123456789012").context["form"]
    (message,) = form.errors["password1"]
    assert message.startswith("This password is too easy to guess.")


def test_a_strong_password_typed_differently_twice_is_the_mismatch_alone(client):
    form = _sign_up(client, "violet trombone harbour 1987", "violet trombone harbor 1987").context[
        "form"
    ]
    assert "password1" not in form.errors
    assert form.errors["password2"] == [PASSWORDS_DIFFER]


def test_a_strong_password_typed_twice_signs_up(client):
    response = _sign_up(client, "violet trombone harbour 1987", "violet trombone harbour 1987")
    assert response.status_code == 302
    assert User.objects.filter(email="new@example.com").exists()
