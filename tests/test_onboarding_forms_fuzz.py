"""Properties of the onboarding forms: good input is accepted and kept as typed (normalised where
the form promises it), bad input is refused by the field that holds it, and no input to the pages
gets a server error or saves anything from a refused form."""

import pytest
from django.test import Client
from django.urls import reverse
from django_countries import countries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.accounts.forms import ContactForm, ProfileForm
from onboarding.accounts.models import Customer
from onboarding.accounts.validators import POSTAL_CODE_FORMATS
from onboarding.audit.models import AuditEntry
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


# --- Good input: what a person would type -----------------------------------------------------

word = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=12
)


def words(max_words: int = 4):
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join)


phones = st.sampled_from(
    [
        ("+44 20 7946 0000", "+442079460000"),
        ("+49 30 901820", "+4930901820"),
        ("+33 1 42 68 53 00", "+33142685300"),
        ("+1 212 555 0100", "+12125550100"),
    ]
)
vat_numbers = st.sampled_from(
    [("", ""), ("DE136695976", "DE136695976"), ("de 136.695.976", "DE136695976")]
)
postal_codes = st.from_regex(r"[A-Z0-9]{2,4} [A-Z0-9]{3}", fullmatch=True)
country_codes = st.sampled_from([code for code, _ in countries])
emails = (
    st.lists(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=3)
    .map(".".join)
    .map(lambda local: f"{local}@example.com")
)


@st.composite
def good_profiles(draw):
    phone, phone_e164 = draw(st.one_of(st.just(("", "")), phones))
    vat, vat_normal = draw(vat_numbers)
    country = draw(country_codes)
    # A country with a known postal code format gets a code in it; any other, any short code.
    known = POSTAL_CODE_FORMATS.get(country)
    postal_code = known[2] if known else draw(postal_codes)
    data = {
        "company": draw(words()),
        "vat_number": vat,
        "phone": phone,
        "address_line1": draw(words()),
        "address_line2": draw(st.one_of(st.just(""), words())),
        "city": draw(words(2)),
        "postal_code": postal_code,
        "region": draw(st.one_of(st.just(""), words(2))),
        "country": country,
        "preferred_inbox": draw(st.sampled_from(["email", "in_app"])),
    }
    return data, {"phone": phone_e164, "vat_number": vat_normal}


@st.composite
def good_contacts(draw):
    phone, phone_e164 = draw(st.one_of(st.just(("", "")), phones))
    data = {
        "name": draw(words(3)),
        "role": draw(words(2)),
        "email": draw(emails),
        "phone": phone,
    }
    return data, phone_e164


@st.composite
def good_cards(draw):
    return {
        "holder_name": draw(st.one_of(st.just(""), words(3))),
        "number": draw(st.from_regex(r"[0-9]{16}", fullmatch=True)),
        "exp_month": draw(st.integers(1, 12)),
        "exp_year": draw(st.integers(2000, 2100)),
        "cvc": draw(st.from_regex(r"[0-9]{3,4}", fullmatch=True)),
    }


@FUZZ
@given(good=good_profiles())
def test_a_good_profile_is_accepted_and_kept_as_typed(good):
    data, normalised = good
    form = ProfileForm(data=data)
    assert form.is_valid(), form.errors
    kept = {name: data[name] for name in data if name not in ("phone", "vat_number")}
    assert {name: str(form.cleaned_data[name]) for name in kept} == kept
    phone = form.cleaned_data["phone"]
    assert (phone.as_e164 if phone else "") == normalised["phone"]
    assert form.instance.vat_number == normalised["vat_number"]


@FUZZ
@given(good=good_contacts())
def test_a_good_contact_is_accepted_and_kept_as_typed(good):
    data, phone_e164 = good
    form = ContactForm(data=data)
    assert form.is_valid(), form.errors
    assert [form.cleaned_data[name] for name in ("name", "role", "email")] == [
        data["name"],
        data["role"],
        data["email"],
    ]
    phone = form.cleaned_data["phone"]
    assert (phone.as_e164 if phone else "") == phone_e164


@FUZZ
@given(data=good_cards())
def test_a_good_card_is_accepted_and_kept_as_typed(data):
    form = CardForm(data={name: str(value) for name, value in data.items()})
    assert form.is_valid(), form.errors
    card = form.card_details()
    assert (card.number, card.exp_month, card.exp_year, card.cvc, card.holder_name) == (
        data["number"],
        data["exp_month"],
        data["exp_year"],
        data["cvc"],
        data["holder_name"],
    )


# --- Bad input: refused by the field that holds it ---------------------------------------------

BAD_PROFILE_VALUES = {
    "address_line1": ["", "   "],
    "city": [""],
    "postal_code": ["", "1" * 21],
    "country": ["", "XX", "England"],
    "phone": ["call me", "12", "+44"],
    "vat_number": ["GR123456789", "DE12", "XX999"],
    "preferred_inbox": ["", "fax"],
}
BAD_CONTACT_VALUES = {
    "name": ["", "  "],
    "role": [""],
    "email": ["", "not-an-email", "someone@", "@example.com"],
    "phone": ["call me", "+44"],
}
BAD_CARD_VALUES = {
    "number": ["", "1" * 24],
    "exp_month": ["", "0", "13", "May"],
    "exp_year": ["", "1999", "2101"],
    "cvc": ["", "12345"],
}


def one_bad_field(bad_values: dict[str, list[str]]):
    return st.sampled_from(sorted(bad_values)).flatmap(
        lambda field: st.tuples(st.just(field), st.sampled_from(bad_values[field]))
    )


@FUZZ
@given(good=good_profiles(), bad=one_bad_field(BAD_PROFILE_VALUES))
def test_a_bad_profile_value_is_refused_by_its_own_field(good, bad):
    field, value = bad
    form = ProfileForm(data={**good[0], field: value})
    assert not form.is_valid()
    assert set(form.errors) == {field}


@FUZZ
@given(good=good_contacts(), bad=one_bad_field(BAD_CONTACT_VALUES))
def test_a_bad_contact_value_is_refused_by_its_own_field(good, bad):
    field, value = bad
    form = ContactForm(data={**good[0], field: value})
    assert not form.is_valid()
    assert set(form.errors) == {field}


@FUZZ
@given(data=good_cards(), bad=one_bad_field(BAD_CARD_VALUES))
def test_a_bad_card_value_is_refused_by_its_own_field(data, bad):
    field, value = bad
    form = CardForm(data={**{name: str(v) for name, v in data.items()}, field: value})
    assert not form.is_valid()
    assert set(form.errors) == {field}


@FUZZ
@given(
    form_class=st.sampled_from([ProfileForm, ContactForm, CardForm]),
    data=st.data(),
)
def test_any_input_is_answered_field_by_field(form_class, data):
    """Whatever is typed, the answer is valid with every required field filled, or errors
    that each name a field of the form (nothing a person could not place on the page)."""
    form = form_class(data=data.draw(fields_of(form_class.base_fields)))
    if form.is_valid():
        required = [name for name, field in form.fields.items() if field.required]
        assert all(form.cleaned_data[name] not in ("", None) for name in required)
    else:
        assert set(form.errors) <= set(form.fields)


# --- The pages ----------------------------------------------------------------------------------


@pytest.fixture
def signed_in(db):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    plan_with_prices()
    return client


@pytest.mark.django_db
@FUZZ
@given(good=good_profiles(), bad=one_bad_field(BAD_PROFILE_VALUES))
def test_a_refused_profile_page_saves_nothing(signed_in, good, bad):
    field, value = bad
    customer = Customer.objects.get()
    before = {name: getattr(customer, name) for name in Customer.PROFILE_FIELDS}
    response = signed_in.post(reverse("accounts:profile"), {**good[0], field: value})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {field}
    customer.refresh_from_db()
    assert {name: getattr(customer, name) for name in Customer.PROFILE_FIELDS} == before
    assert not AuditEntry.objects.filter(action="customer.profile_updated").exists()


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
