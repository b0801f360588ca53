"""Where signing in leads: a customer to their account, staff to the staff console; a safe
`next` first, and a buyer's chosen plan before either."""

import pytest
from django.urls import reverse

from onboarding.core.roles import Role
from tests.accounts.flows import sign_in, submit_password
from tests.factories import DEFAULT_PASSWORD, UserFactory, add_totp, plan_with_prices

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def totp_tolerance(settings):
    settings.MFA_TOTP_TOLERANCE = 1  # a code computed just before a 30-second boundary counts


def test_a_customer_lands_on_their_account(client, customer):
    assert sign_in(client, customer.email)["Location"] == reverse("accounts:home")


def test_staff_land_on_the_staff_console_after_the_second_factor(client):
    user = UserFactory(role=Role.SYSOPS)
    secret = add_totp(user)
    assert sign_in(client, user.email, secret=secret)["Location"] == reverse("staff:home")


def test_a_safe_next_is_followed(client, customer):
    contacts = reverse("accounts:contacts")
    answer = client.post(
        f"{reverse('account_login')}?next={contacts}",
        {"login": customer.email, "password": DEFAULT_PASSWORD, "next": contacts},
    )
    assert answer["Location"] == contacts


def test_an_unsafe_next_is_not_followed(client, customer):
    answer = client.post(
        reverse("account_login"),
        {"login": customer.email, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )
    assert answer["Location"] == reverse("accounts:home")


def test_a_buyer_with_a_plan_chosen_goes_back_to_it(client, customer):
    plan = plan_with_prices()
    client.get(reverse("billing:buy", args=[plan.slug]) + "?cycle=annual")  # remembered
    answer = submit_password(client, customer.email)
    assert answer["Location"].startswith(reverse("billing:buy", args=[plan.slug]))
