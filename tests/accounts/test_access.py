"""onboarding.core.access on real models: allauth's EmailAddress (owned through `user`) and
EmailConfirmation (owned through `email_address__user`) get a rule for the length of a test."""

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

from onboarding.accounts.checks import check_access_rules
from onboarding.audit.models import AuditEntry
from onboarding.core import access
from onboarding.core.access import (
    RowHidden,
    access_rule,
    get_visible_or_404,
    is_visible_to,
    owner_path_problem,
    rule_for,
    visible_to,
)
from onboarding.core.roles import Role
from tests.factories import UserFactory, staff_user


@pytest.fixture
def rules(monkeypatch):
    """A private copy of the rule registry, so rules made here vanish after the test."""
    monkeypatch.setattr(access, "_RULES", dict(access._RULES))


@pytest.fixture
def email_rule(rules):
    access_rule(owner="user", staff={Role.SYSOPS, Role.ADMIN})(EmailAddress)


@pytest.fixture
def mine(customer):
    return EmailAddress.objects.get(user=customer)


@pytest.fixture
def theirs(other_customer):
    return EmailAddress.objects.get(user=other_customer)


def refusals():
    return AuditEntry.objects.filter(action="access.refused")


# --- deny by default --------------------------------------------------------------------------


def test_model_without_a_rule_shows_nothing_even_to_an_admin(rules, db):
    admin = staff_user(Role.ADMIN)
    assert rule_for(EmailAddress) is None
    assert EmailAddress.objects.exists()
    assert not visible_to(admin, EmailAddress.objects.all()).exists()


def test_anonymous_user_sees_no_rows(email_rule, mine):
    assert not visible_to(AnonymousUser(), EmailAddress.objects.all()).exists()


def test_no_user_at_all_sees_no_rows(email_rule, mine):
    assert not visible_to(None, EmailAddress.objects.all()).exists()


def test_inactive_customer_sees_not_even_their_own_rows(email_rule, customer, mine):
    customer.is_active = False
    customer.save()
    assert not visible_to(customer, EmailAddress.objects.all()).exists()


# --- customers: their own rows only -----------------------------------------------------------


def test_customer_sees_only_their_own_rows(email_rule, customer, mine, theirs):
    assert list(visible_to(customer, EmailAddress.objects.all())) == [mine]


def test_customer_gets_their_own_row(email_rule, customer, mine):
    assert get_visible_or_404(customer, EmailAddress, pk=mine.pk) == mine


def test_customer_asking_for_another_customers_row_gets_404(email_rule, customer, theirs):
    with pytest.raises(Http404):
        get_visible_or_404(customer, EmailAddress, pk=theirs.pk)


def test_a_refused_row_is_a_404_that_names_the_row_for_the_door(email_rule, customer, theirs):
    # The rule decides and records nothing; the request's door writes "access.refused" from
    # what RowHidden names (tests/contracts/test_access.py goes through both doors).
    with pytest.raises(RowHidden) as refused:
        get_visible_or_404(customer, EmailAddress, pk=theirs.pk)
    assert (refused.value.object_type, refused.value.object_id) == (
        "account.emailaddress",
        theirs.pk,
    )
    assert not refusals().exists()


def test_missing_row_is_a_plain_404_not_a_refusal(email_rule, customer):
    with pytest.raises(Http404) as missing:
        get_visible_or_404(customer, EmailAddress, pk=987654321)
    assert not isinstance(missing.value, RowHidden)
    assert not refusals().exists()


def test_malformed_lookup_value_is_404_not_an_error(email_rule, customer):
    with pytest.raises(Http404):
        get_visible_or_404(customer, EmailAddress, pk="not-a-number")


def test_anonymous_asking_for_a_row_gets_a_refusal_404(email_rule, mine):
    with pytest.raises(RowHidden) as refused:
        get_visible_or_404(AnonymousUser(), EmailAddress, pk=mine.pk)
    assert refused.value.object_id == mine.pk


def test_owner_path_through_two_foreign_keys(rules, customer, other_customer):
    access_rule(owner="email_address__user", staff={Role.SYSOPS})(EmailConfirmation)
    own = EmailConfirmation.create(EmailAddress.objects.get(user=customer))
    EmailConfirmation.create(EmailAddress.objects.get(user=other_customer))
    assert list(visible_to(customer, EmailConfirmation.objects.all())) == [own]


def test_staff_member_outside_the_rule_sees_only_rows_they_own(email_rule, db):
    manager = staff_user(Role.MANAGER)
    UserFactory()
    visible = visible_to(manager, EmailAddress.objects.all())
    assert list(visible.values_list("user_id", flat=True)) == [manager.pk]


def test_rule_without_owner_shows_customers_nothing(rules, customer):
    access_rule(owner=None, staff={Role.SYSOPS})(EmailAddress)
    assert not visible_to(customer, EmailAddress.objects.all()).exists()


# --- staff named in the rule ------------------------------------------------------------------


def test_staff_role_in_the_rule_with_totp_sees_every_row(email_rule, mine, theirs):
    sysops = staff_user(Role.SYSOPS)
    assert set(visible_to(sysops, EmailAddress.objects.all())) == set(EmailAddress.objects.all())


def test_staff_role_in_the_rule_without_totp_sees_only_their_own(email_rule, mine, theirs):
    sysops = UserFactory(role=Role.SYSOPS)
    assert not Authenticator.objects.filter(user=sysops).exists()
    visible = visible_to(sysops, EmailAddress.objects.all())
    assert list(visible.values_list("user_id", flat=True)) == [sysops.pk]


def test_staff_gets_any_row_by_id(email_rule, theirs):
    admin = staff_user(Role.ADMIN)
    assert get_visible_or_404(admin, EmailAddress.objects.all(), pk=theirs.pk) == theirs


# --- the ways to call it ----------------------------------------------------------------------


def test_get_visible_or_404_takes_a_manager(email_rule, customer, mine):
    assert get_visible_or_404(customer, EmailAddress.objects, email=mine.email) == mine


def test_get_visible_or_404_keeps_the_callers_narrowing(email_rule, customer, mine):
    narrowed = EmailAddress.objects.filter(verified=False)
    with pytest.raises(Http404):
        get_visible_or_404(customer, narrowed, pk=mine.pk)


def test_get_visible_or_404_refuses_something_that_is_not_a_model(email_rule, customer):
    with pytest.raises(TypeError):
        get_visible_or_404(customer, [1, 2, 3], pk=1)


def test_is_visible_to_answers_for_a_row_in_hand(email_rule, customer, mine, theirs):
    assert is_visible_to(customer, mine)
    assert not is_visible_to(customer, theirs)


# --- rules that would be mistakes are refused -------------------------------------------------


def test_rule_giving_customers_every_row_is_refused(rules):
    with pytest.raises(ImproperlyConfigured):
        access_rule(owner="user", staff={Role.CUSTOMER})


def test_rule_with_an_empty_owner_path_is_refused(rules):
    with pytest.raises(ImproperlyConfigured):
        access_rule(owner=" ")


def test_owner_path_must_exist(db):
    assert "no field" in owner_path_problem(EmailAddress, "owner")


def test_owner_path_must_not_cross_a_many_valued_relation(db):
    # User -> emailaddress_set is a reverse relation: filtering through it could duplicate rows.
    problem = owner_path_problem(EmailConfirmation, "email_address__user__emailaddress")
    assert "not a forward foreign key" in problem


def test_owner_path_must_end_at_the_user_model(db):
    assert "not at the user model" in owner_path_problem(EmailConfirmation, "email_address")


def test_system_check_reports_a_wrong_owner_path(rules):
    access_rule(owner="email", staff={Role.SYSOPS})(EmailAddress)
    errors = check_access_rules()
    assert [error.id for error in errors] == ["accounts.E001"]
    assert errors[0].obj is EmailAddress


def test_system_check_accepts_the_projects_own_rules(db):
    assert check_access_rules() == []
