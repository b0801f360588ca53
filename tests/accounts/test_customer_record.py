import pytest
from django.urls import reverse

from onboarding.accounts.models import Contact, Customer, User
from onboarding.accounts.services import customer_create
from onboarding.audit.models import AuditEntry
from onboarding.core.errors import DomainError
from onboarding.core.roles import Role
from onboarding.journey.models import JourneyStep, Step, StepState
from tests.factories import complete_profile

pytestmark = pytest.mark.django_db

PROFILE = {
    "company": "Acme Ltd",
    "phone": "+44 20 7946 0000",
    "address_line1": "1 High Street",
    "address_line2": "",
    "city": "Bristol",
    "postal_code": "BS1 4DJ",
    "region": "",
    "country": "GB",
    "preferred_inbox": "in_app",
}


def test_signing_up_creates_the_customer_record_and_its_journey(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.customer@example.com",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(user__email="new.customer@example.com")
    steps = list(JourneyStep.objects.filter(customer=customer).order_by("position"))
    assert [s.step for s in steps] == [s.value for s in Step.ordered()]
    assert all(s.state == StepState.PENDING for s in steps)
    assert AuditEntry.objects.filter(action="customer.created", customer_id=customer.pk).exists()


def test_profile_update_audits_only_the_fields_that_changed(customer_client, customer):
    response = customer_client.post(reverse("accounts:profile"), PROFILE)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="customer.profile_updated")
    assert set(entry.changes) == {
        "company",
        "phone",
        "address_line1",
        "city",
        "postal_code",
        "country",
        "preferred_inbox",
    }
    assert entry.changes["city"] == ["", "Bristol"]
    customer.refresh_from_db()
    assert customer.preferred_inbox == "in_app"


def test_a_complete_billing_address_finishes_the_account_step(customer_client, customer):
    customer_client.post(reverse("accounts:profile"), PROFILE)
    step = JourneyStep.objects.get(customer=customer.customer, step=Step.ACCOUNT)
    assert step.state == StepState.DONE


def test_a_bad_country_is_a_field_error_and_changes_nothing(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:profile"), {**PROFILE, "country": "XX", "city": "Paris"}
    )
    assert response.status_code == 200
    assert "country" in response.context["form"].errors
    customer.customer.refresh_from_db()
    assert customer.customer.city == ""
    assert not AuditEntry.objects.filter(action="customer.profile_updated").exists()


def test_a_phone_number_that_is_not_one_is_refused(customer_client, customer):
    response = customer_client.post(reverse("accounts:profile"), {**PROFILE, "phone": "call me"})
    assert "phone" in response.context["form"].errors


def test_contacts_are_added_and_removed_with_audit(customer_client, customer):
    customer_client.post(
        reverse("accounts:contacts"),
        {"name": "Bea Billing", "role": "Billing", "email": "bea@example.com", "phone": ""},
    )
    contact = Contact.objects.get(customer=customer.customer)
    customer_client.post(reverse("accounts:contact_delete", args=[contact.pk]))
    assert not Contact.objects.exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert "customer.contact_added" in actions
    assert "customer.contact_removed" in actions


def test_a_customer_cannot_reach_another_customers_contact(customer_client, other_customer):
    theirs = Contact.objects.create(
        customer=other_customer.customer, name="X", role="Tech", email="x@example.com"
    )
    assert (
        customer_client.get(reverse("accounts:contact_edit", args=[theirs.pk])).status_code == 404
    )
    response = customer_client.post(reverse("accounts:contact_delete", args=[theirs.pk]))
    assert response.status_code == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()
    api = customer_client.delete(f"/api/v1/me/contacts/{theirs.pk}")
    assert api.status_code == 404


def test_staff_have_no_customer_portal(sysops_client):
    assert sysops_client.get(reverse("accounts:home")).status_code == 404


def test_the_account_page_shows_the_journey(customer_client, customer):
    complete_profile(customer.customer)
    response = customer_client.get(reverse("accounts:home"))
    assert response.status_code == 200
    assert b"Card and billing cycle" in response.content


def _admin_adds_user(client, *, email: str, role: str):
    return client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": email,
            "role": role,
            "preferred_inbox": "email",
            "usable_password": "true",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )


def test_a_customer_account_made_in_the_admin_gets_its_customer_record(admin_client_2fa):
    response = _admin_adds_user(admin_client_2fa, email="walk.in@example.com", role=Role.CUSTOMER)
    assert response.status_code == 302
    customer = Customer.objects.get(user__email="walk.in@example.com")
    assert AuditEntry.objects.filter(action="customer.created", customer_id=customer.pk).exists()


def test_a_staff_user_gets_no_customer_record(admin_client_2fa):
    # Staff accounts are made in the admin, the one place besides sign-up that makes records.
    response = _admin_adds_user(admin_client_2fa, email="new.sysops@example.com", role=Role.SYSOPS)
    assert response.status_code == 302
    staff = User.objects.get(email="new.sysops@example.com")
    assert staff.role == Role.SYSOPS
    assert not Customer.objects.filter(user=staff).exists()
    with pytest.raises(DomainError, match="Only customer accounts"):
        customer_create(user=staff)
    assert not Customer.objects.filter(user=staff).exists()
    assert not AuditEntry.objects.filter(action="customer.created").exists()
