import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from onboarding.accounts.models import Customer, User
from onboarding.accounts.validators import (
    BreachedLookingPasswordValidator,
    GuessablePasswordValidator,
)
from onboarding.demo.services import DEMO_PASSWORD, demo_data_load
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "password",
    [
        "P@ssw0rd2024!!",
        "password12345678",
        "qwertyuiopas",
        "Summer2024Summer2024",
        "1234567890ab",
        "iloveyou!!!!!!!!",
    ],
)
def test_breached_looking_passwords_are_refused(password):
    with pytest.raises(ValidationError) as refused:
        BreachedLookingPasswordValidator().validate(password)
    assert refused.value.code == "password_breached_looking"


@pytest.mark.parametrize(
    "password", ["a long and unusual passphrase", "Tr0ub4dor&3xyz", "marmalade kettle 1987"]
)
def test_long_passwords_of_ones_own_pass(password):
    BreachedLookingPasswordValidator().validate(password)


def test_eleven_characters_are_too_few_and_no_composition_rule_applies():
    with pytest.raises(ValidationError):
        validate_password("abcdefgh123")
    validate_password("lowercase words only here")  # no digit, capital or symbol needed


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=64))
def test_the_validator_never_crashes(password):
    try:
        outcome = BreachedLookingPasswordValidator().validate(password)
    except ValidationError as refused:
        outcome = refused.code
    assert outcome in {None, "password_breached_looking"}


# --- The strength estimate (zxcvbn): guessable passwords of 12 characters or more -------------

# Accepted before the strength estimate (issue 13, item 6): twelve digits pass every rule of shape.
GUESSABLE_DIGITS = ["123456789012", "987654321098", "111122223333", "000000000001"]
COMMON_LONG_PASSWORDS = [
    "password1234",
    "qwertyuiop12",
    "iloveyou1234",
    "123456789abc",
    "aaaaaaaaaaaa",
    "abcdefghijkl",
    "letmein12345",
    "1qaz2wsx3edc",
    "dragon123456",
    "Qwerty123456!",
    "Summer2024Summer2024",
    "monkeymonkey",
]


def refusal_of(password: str, user=None) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return refused.value


@pytest.mark.parametrize("password", GUESSABLE_DIGITS + COMMON_LONG_PASSWORDS)
def test_guessable_passwords_of_twelve_or_more_characters_are_refused_as_too_easy_to_guess(
    password,
):
    refused = refusal_of(password)
    guessable = [e for e in refused.error_list if e.code == "password_too_guessable"]
    assert len(guessable) == 1, [e.code for e in refused.error_list]
    assert str(guessable[0].message).startswith("This password is too easy to guess.")


def test_the_refusal_passes_on_the_estimators_own_advice():
    message = " ".join(refusal_of("987654321098").messages)
    assert 'Sequences like "abc" or "6543" are easy to guess.' in message
    assert "Avoid sequences." in message


@pytest.mark.parametrize(
    "password",
    [
        "a long and unusual passphrase",
        "Lantern orchard 4817 quietly",
        "marmalade kettle 1987",
        "correct horse battery staple",  # tests/factories.py
        "a long enough passphrase 42",
        "onboarding-demo-2026",  # the demo logins (onboarding/demo/services.py, README)
    ],
)
def test_a_passphrase_of_ones_own_passes(password):
    validate_password(password)


def test_the_demo_password_passes_for_every_demo_login(db):
    demo_data_load()
    users = list(User.objects.all())
    assert users
    for user in users:
        validate_password(DEMO_PASSWORD, user)


def test_the_product_name_counts_as_guessable(settings):
    settings.SITE_NAME = "Onboarding"
    validate_password("Lanternboarding2026!")  # not the name: strong
    assert "password_too_guessable" in [e.code for e in refusal_of("Onboarding2026!").error_list]
    settings.SITE_NAME = "Helpdesk Plus"  # another product's name: the same password is strong
    validate_password("Onboarding2026!")


def test_the_users_own_email_and_name_count_as_guessable():
    user = User(email="bartholomew.quigley@northwind.example", first_name="Bartholomew")
    validate_password("Bartholomew.Quigley!")  # a stranger's name to anyone else: strong
    codes = [e.code for e in refusal_of("Bartholomew.Quigley!", user).error_list]
    assert "password_too_guessable" in codes


def test_a_customers_company_counts_as_guessable(db):
    user = UserFactory()
    Customer.objects.filter(user=user).update(company="Zanzibar Quarries")
    validate_password("zanzibar quarries!", user)  # before the company is known: strong
    user = User.objects.get(pk=user.pk)
    assert "password_too_guessable" in [
        e.code for e in refusal_of("zanzibar quarries!", user).error_list
    ]


def test_sign_up_with_a_guessable_password_shows_the_advice_and_creates_nobody(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "123456789012", "password2": "123456789012"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This password is too easy to guess." in page
    assert not User.objects.filter(email="new@example.com").exists()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_the_strength_estimate_never_crashes_whatever_the_length(password):
    try:
        outcome = GuessablePasswordValidator().validate(password)
    except ValidationError as refused:
        outcome = refused.code
    assert outcome in {None, "password_too_guessable"}


def test_a_password_longer_than_the_estimator_reads_is_judged_by_its_start():
    GuessablePasswordValidator().validate("a long and unusual passphrase " * 10)
    with pytest.raises(ValidationError):
        GuessablePasswordValidator().validate("1" * 300)
