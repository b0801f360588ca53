import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from onboarding.accounts.validators import BreachedLookingPasswordValidator


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
