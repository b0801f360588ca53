"""Property: no input to the onboarding forms gets a server error; bad input changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.accounts.forms import ContactForm, ProfileForm
from onboarding.billing.models import Subscription
from onboarding.payments.forms import CardForm
from onboarding.payments.models import PaymentMethod
from tests.factories import UserFactory, plan_with_prices

texts = st.one_of(st.text(max_size=40), st.integers(-(10**6), 10**6).map(str), st.just(""))
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fields_of(names):
    return st.fixed_dictionaries({name: texts for name in names})


@FUZZ
@given(data=fields_of(ProfileForm.base_fields))
def test_profile_form_always_answers_valid_or_with_errors(data):
    form = ProfileForm(data=data)
    assert form.is_valid() or form.errors


@FUZZ
@given(data=fields_of(ContactForm.base_fields))
def test_contact_form_always_answers_valid_or_with_errors(data):
    form = ContactForm(data=data)
    assert form.is_valid() or form.errors


@FUZZ
@given(data=fields_of(CardForm.base_fields))
def test_card_form_always_answers_valid_or_with_errors(data):
    form = CardForm(data=data)
    assert form.is_valid() or form.errors


@pytest.fixture
def signed_in(db):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    plan_with_prices()
    return client


@pytest.mark.django_db
@FUZZ
@given(
    url=st.sampled_from(["accounts:profile", "accounts:contacts", "payments:card", "billing:buy"]),
    data=st.dictionaries(
        st.sampled_from(
            [
                "company",
                "city",
                "country",
                "phone",
                "name",
                "email",
                "role",
                "number",
                "exp_month",
                "exp_year",
                "cvc",
                "cycle",
                "password",
                "postal_code",
                "address_line1",
                "preferred_inbox",
            ]
        ),
        texts,
    ),
)
def test_pages_never_answer_a_server_error(signed_in, url, data):
    path = reverse(url, args=["business-care"]) if url == "billing:buy" else reverse(url)
    response = signed_in.post(path, data)
    assert response.status_code < 500
    if response.status_code == 422 and url == "billing:buy":
        assert not Subscription.objects.exists()  # a refused purchase leaves nothing behind
    assert PaymentMethod.objects.filter(status="active").count() <= 1
