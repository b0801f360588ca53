"""role_required (pages) and StaffAuth (django-ninja): one decision, the same answers, audited."""

import pytest
from django.test import Client
from django.urls import reverse

from onboarding.accounts.permissions import Refusal, StaffAuth, role_refusal, role_required
from onboarding.audit.models import AuditEntry
from onboarding.core.roles import Role
from tests.factories import UserFactory, staff_user

pytestmark = pytest.mark.urls("tests.accounts.staff_auth_urls")

PAGE = "/guarded-page/"
WHOAMI = "/guarded-api/managers/whoami"
APPROVE = "/guarded-api/managers/approve"


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def refusals():
    return AuditEntry.objects.filter(action="access.refused")


# --- the decision -----------------------------------------------------------------------------


def test_decision_for_each_kind_of_user(db):
    managers = {Role.MANAGER}
    assert role_refusal(None, managers) is Refusal.SIGN_IN
    assert role_refusal(UserFactory(), managers) is Refusal.NOT_FOUND
    assert role_refusal(staff_user(Role.SYSOPS), managers) is Refusal.WRONG_ROLE
    assert role_refusal(UserFactory(role=Role.MANAGER), managers) is Refusal.SECOND_FACTOR
    assert role_refusal(staff_user(Role.MANAGER), managers) is None


def test_inactive_staff_member_must_sign_in(db):
    manager = staff_user(Role.MANAGER)
    manager.is_active = False
    assert role_refusal(manager, {Role.MANAGER}) is Refusal.SIGN_IN


def test_customer_role_needs_no_second_factor(db):
    assert role_refusal(UserFactory(), {Role.CUSTOMER}) is None


# --- role_required ----------------------------------------------------------------------------


def test_page_sends_anonymous_visitor_to_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fguarded-page%2F"


def test_page_answers_htmx_with_a_client_side_redirect(client, db):
    response = client.get(PAGE, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("account_login"))


def test_page_is_not_found_for_a_customer_and_audited(customer_client, customer):
    response = customer_client.get(PAGE)
    assert response.status_code == 404
    assert refusals().get().actor == customer


def test_page_is_forbidden_to_staff_without_the_role_and_audited(sysops_client, sysops):
    response = sysops_client.get(PAGE)
    assert response.status_code == 403
    entry = refusals().get()
    assert entry.actor == sysops
    assert "needs role admin, manager" in entry.message


def test_page_sends_staff_without_totp_to_set_it_up(db):
    response = client_for(UserFactory(role=Role.MANAGER)).get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_page_answers_staff_with_the_role_and_totp(manager_client):
    response = manager_client.get(PAGE)
    assert response.status_code == 200
    assert response.content == b"manager page"


def test_role_required_refuses_an_unknown_role():
    with pytest.raises(ValueError):
        role_required("superhero")


# --- StaffAuth --------------------------------------------------------------------------------


def test_api_answers_anonymous_with_401(client, db):
    response = client.get(WHOAMI)
    assert response.status_code == 401


def test_api_answers_customer_with_404_and_audits(customer_client, customer):
    response = customer_client.get(WHOAMI)
    assert response.status_code == 404
    assert refusals().get().actor == customer


def test_api_answers_staff_without_the_role_with_403_and_audits(sysops_client, sysops):
    response = sysops_client.get(WHOAMI)
    assert response.status_code == 403
    assert refusals().get().actor == sysops


def test_api_answers_staff_without_totp_with_403(db):
    response = client_for(UserFactory(role=Role.MANAGER)).get(WHOAMI)
    assert response.status_code == 403
    assert "TOTP" in response.json()["detail"]


def test_api_answers_staff_with_the_role_and_totp(manager_client, manager):
    response = manager_client.get(WHOAMI)
    assert response.status_code == 200
    assert response.json() == {"email": manager.email}


def test_api_refuses_a_post_without_the_csrf_token(manager):
    response = client_for(manager, enforce_csrf_checks=True).post(APPROVE)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_api_accepts_a_post_with_the_csrf_token(manager):
    client = client_for(manager, enforce_csrf_checks=True)
    client.get(reverse("account_email"))  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(APPROVE, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json() == {"approved": True}


def test_staff_auth_takes_staff_roles_only():
    with pytest.raises(ValueError):
        StaffAuth(roles={Role.CUSTOMER})
