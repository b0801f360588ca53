"""The Django admin for users: admins only; role, not groups, decides; changes are audited."""

from django.contrib import admin
from django.contrib.auth.models import Group

from onboarding.accounts.models import User
from onboarding.audit.models import AuditEntry
from onboarding.core.roles import Role
from tests.factories import UserFactory

USERS = "/admin/accounts/user/"


def test_admin_lists_users_with_role_and_totp_columns(admin_client_2fa, customer):
    response = admin_client_2fa.get(USERS)
    assert response.status_code == 200
    assert customer.email.encode() in response.content
    assert b"TOTP" in response.content


def test_admin_finds_a_user_by_email(admin_client_2fa, customer, other_customer):
    response = admin_client_2fa.get(USERS, {"q": customer.email})
    assert customer.email.encode() in response.content
    assert other_customer.email.encode() not in response.content


def test_admin_creates_a_user_and_the_creation_is_audited(admin_client_2fa, admin_user):
    response = admin_client_2fa.post(
        f"{USERS}add/",
        {
            "email": "New.Person@Example.com",
            "role": Role.SYSOPS,
            "preferred_inbox": "in_app",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.SYSOPS
    assert user.check_password("a long enough passphrase 42")
    entry = AuditEntry.objects.get(action="accounts.user_created")
    assert entry.actor == admin_user
    assert entry.changes["role"] == [None, Role.SYSOPS]


def test_admin_refuses_an_email_that_differs_only_in_case(admin_client_2fa, customer):
    response = admin_client_2fa.post(
        f"{USERS}add/",
        {
            "email": customer.email.upper(),
            "role": Role.CUSTOMER,
            "preferred_inbox": "email",
            "usable_password": "false",
        },
    )
    assert response.status_code == 200
    assert b"already exists" in response.content


def test_role_change_in_the_admin_is_audited_with_old_and_new(admin_client_2fa, customer):
    response = admin_client_2fa.post(
        f"{USERS}{customer.pk}/change/",
        {
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "role": Role.MANAGER,
            "preferred_inbox": customer.preferred_inbox,
            "staff_language": "en",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.get(action="accounts.user_updated")
    assert entry.changes == {"role": [Role.CUSTOMER, Role.MANAGER]}


def test_only_the_admin_role_gets_django_admin_flags(db):
    user = UserFactory(role=Role.ADMIN)
    assert user.is_staff and user.is_superuser
    user.role = Role.SYSOPS
    user.save()
    user.refresh_from_db()
    assert not user.is_staff and not user.is_superuser


def test_superuser_created_from_the_command_line_is_an_admin(db):
    user = User.objects.create_superuser("Root@Example.com", "a long enough passphrase 42")
    assert user.role == Role.ADMIN and user.is_superuser and user.is_staff
    assert user.email == "root@example.com"


def test_groups_are_not_offered_in_the_admin(db):
    assert not admin.site.is_registered(Group)


def test_the_admin_index_names_each_app_section_for_what_it_holds(admin_client_2fa):
    response = admin_client_2fa.get("/admin/")
    assert response.status_code == 200
    sections = [app["name"] for app in response.context["app_list"]]
    assert len(sections) == len(set(sections)), sections
    assert "Users and customers" in sections
    assert "Sign-in email addresses" in sections
    assert "Accounts" not in sections
