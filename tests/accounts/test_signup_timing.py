"""Sign-up must not tell which addresses have accounts, by its answer or by its time.

Hashing the new account's password (Argon2) is most of a sign-up's time: an address that already
had an account used to answer in 0.07-0.16 s and a new one in 0.61-1.19 s (issue 13, item 7). The
sign-up of a taken address now hashes a password too; these tests count the hashing with a real
hasher registered in PASSWORD_HASHERS.
"""

import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client
from django.urls import reverse

from onboarding.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSPHRASE = "a long and unusual passphrase"
TAKEN = "taken@example.com"


class CountingHasher(PBKDF2PasswordHasher):
    """PBKDF2 (few rounds, for speed) that counts how many passwords it hashed."""

    algorithm = "counting_pbkdf2"
    iterations = 1_000
    hashed = 0

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        type(self).hashed += 1
        return super().encode(password, salt, iterations)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    UserFactory(email=TAKEN)  # hashed with CountingHasher too: reset below
    CountingHasher.hashed = 0
    return CountingHasher


def sign_up(client, email: str):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSPHRASE, "password2": PASSPHRASE},
    )


def hashes_during(hasher, action) -> int:
    hasher.hashed = 0
    action()
    return hasher.hashed


def test_signing_up_with_a_taken_address_hashes_a_password_as_a_new_account_does(
    client, counting_hasher
):
    new = hashes_during(counting_hasher, lambda: sign_up(client, "new@example.com"))
    taken = hashes_during(counting_hasher, lambda: sign_up(client, TAKEN))
    assert new == 1  # the new account's password
    assert taken == new
    assert User.objects.filter(email__iexact=TAKEN).count() == 1


def test_a_taken_address_is_hashed_for_even_when_its_mail_is_throttled(client, counting_hasher):
    # allauth sends one "you already have an account" mail per address in 3 minutes
    # (ACCOUNT_RATE_LIMITS["confirm_email"]); the attempts after it must take as long too.
    counts = [hashes_during(counting_hasher, lambda: sign_up(client, TAKEN)) for _ in range(3)]
    assert counts == [1, 1, 1]


def test_a_taken_address_is_hashed_for_whatever_its_case(client, counting_hasher):
    assert hashes_during(counting_hasher, lambda: sign_up(client, TAKEN.upper())) == 1


def page_without(response, email: str) -> str:
    html = response.content.decode()
    html = html.replace(email, "ADDRESS")
    # The CSRF token differs on every page (the forms' field and htmx's header).
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_a_taken_address_gets_the_same_answer_as_a_new_one(counting_hasher):
    answers = {}
    for email in ("new@example.com", TAKEN):
        visitor = Client()  # each a fresh visitor
        response = sign_up(visitor, email)
        answers[email] = (response, visitor.get(response["Location"]))
    (new, new_page), (taken, taken_page) = answers.values()

    assert (new.status_code, new["Location"]) == (302, reverse("account_email_verification_sent"))
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    # The page it leads to reads the same, save the address typed.
    assert new_page.status_code == taken_page.status_code == 200
    assert page_without(new_page, "new@example.com") == page_without(taken_page, TAKEN)
