"""StaffAccessMiddleware: /staff/, /api/v1/staff/ and /admin/ need a staff role and TOTP."""

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from onboarding.accounts.middleware import (
    StaffAccessMiddleware,
    is_staff_path,
    roles_for_path,
    staff_access_verified,
)
from onboarding.audit.models import AuditEntry
from onboarding.core.roles import STAFF_ROLES, Role
from tests.factories import UserFactory, staff_user

STAFF_PAGE = "/staff/"
STAFF_API = "/api/v1/staff/audit/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refusals():
    return AuditEntry.objects.filter(action="access.refused")


@pytest.mark.parametrize(
    ("path", "roles"),
    [
        ("/staff/", STAFF_ROLES),
        ("/staff", STAFF_ROLES),
        ("/staff/audit/1/", STAFF_ROLES),
        ("/api/v1/staff/mail/", STAFF_ROLES),
        ("/admin/", frozenset({Role.ADMIN})),
        ("/admin", frozenset({Role.ADMIN})),
        ("/staffing/", None),
        ("/api/v1/staffing", None),
        ("/administrator/", None),
        ("/", None),
        ("/inbox/", None),
    ],
)
def test_which_paths_are_guarded(path, roles):
    assert roles_for_path(path) == roles
    assert is_staff_path(path) is (roles is not None)


# --- anonymous --------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fstaff%2F"


def test_anonymous_api_caller_gets_401_json(client, db):
    response = client.get(STAFF_API)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_anonymous_refusal_is_not_audited(client, db):
    client.get(STAFF_PAGE)
    assert not refusals().exists()


# --- customers --------------------------------------------------------------------------------


def test_customer_gets_404_for_a_staff_page(customer_client):
    response = customer_client.get(STAFF_PAGE)
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_customer_refusal_is_audited(customer_client, customer):
    customer_client.get(STAFF_PAGE, headers={"X-Request-ID": "refusal-test-0001"})
    entry = refusals().get()
    assert entry.actor == customer
    assert entry.outcome == "refused"
    assert entry.request_id == "refusal-test-0001"
    assert "GET /staff/" in entry.message


def test_customer_gets_404_json_from_the_staff_api(customer_client, customer):
    response = customer_client.get(STAFF_API)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert refusals().get().actor == customer


def test_customer_gets_404_for_the_django_admin(customer_client):
    assert customer_client.get("/admin/").status_code == 404


# --- staff without a second factor ------------------------------------------------------------


def test_staff_without_totp_is_sent_to_set_it_up(sysops_without_totp):
    response = client_for(sysops_without_totp).get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_without_totp_gets_403_from_the_api(sysops_without_totp):
    response = client_for(sysops_without_totp).get(STAFF_API)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_admin_without_totp_cannot_open_the_django_admin(db):
    response = client_for(UserFactory(role=Role.ADMIN)).get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


# --- staff with a second factor ---------------------------------------------------------------


def test_staff_with_totp_reaches_the_staff_pages(sysops_client):
    response = sysops_client.get(STAFF_PAGE)
    assert response.status_code == 200
    assert b"Staff console" in response.content


def test_staff_with_totp_reaches_the_staff_api(manager_client):
    response = manager_client.get(STAFF_API)
    assert response.status_code == 200


def test_sysops_cannot_open_the_django_admin(sysops_client, sysops):
    response = sysops_client.get("/admin/")
    assert response.status_code == 403
    assert refusals().get().actor == sysops


def test_admin_with_totp_opens_the_django_admin(admin_client_2fa):
    response = admin_client_2fa.get("/admin/")
    assert response.status_code == 200
    assert b"Onboarding administration" in response.content


# --- the mark it leaves on a request it let in (GuardedStaffAuth reads it) ----------------------


def _through_the_middleware(path: str, user):
    """The request as the handler after the middleware sees it (None if it answered itself)."""
    seen = []
    request = RequestFactory().get(path)
    request.user = user

    def next_handler(passed):
        seen.append(passed)
        return HttpResponse()

    StaffAccessMiddleware(next_handler)(request)
    return seen[0] if seen else None


def test_a_staff_request_it_let_in_is_marked_with_the_user_and_the_roles_checked(db):
    sysops = staff_user(Role.SYSOPS)
    admin = staff_user(Role.ADMIN)

    assert staff_access_verified(_through_the_middleware(STAFF_API, sysops)) == STAFF_ROLES
    assert staff_access_verified(_through_the_middleware("/admin/", admin)) == {Role.ADMIN}


def test_a_request_it_did_not_check_carries_no_mark(db):
    # Not a staff path: nothing was checked, whoever the user is.
    assert (
        staff_access_verified(_through_the_middleware("/inbox/", staff_user(Role.SYSOPS))) is None
    )
    # A request that never went through the middleware (another stack, a test's own request).
    request = RequestFactory().get(STAFF_API)
    request.user = staff_user(Role.MANAGER)
    assert staff_access_verified(request) is None


def test_staff_without_totp_are_answered_by_the_middleware_and_never_marked(db):
    request = RequestFactory().get(STAFF_API)
    request.user = UserFactory(role=Role.SYSOPS)
    response = StaffAccessMiddleware(lambda passed: HttpResponse())(request)
    assert response.status_code == 403
    assert staff_access_verified(request) is None


def test_the_mark_holds_only_for_the_user_it_was_made_for(db):
    request = _through_the_middleware(STAFF_API, staff_user(Role.SYSOPS))
    request.user = UserFactory(role=Role.SYSOPS)  # signed in as someone else since (no TOTP)
    assert staff_access_verified(request) is None
