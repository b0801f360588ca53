"""A test customer is made whole or not at all: a card the sandbox refuses (or a purchase
refused) leaves no user, no customer and no "created" audit entry behind. A decline is the
admin's input to correct (a field error, no alert); a gateway failure is ours (an alert)."""

import pytest
from django.test import Client

from onboarding.accounts.models import Customer, User
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Subscription
from onboarding.payments.models import PaymentMethod
from onboarding.testclocks.services import clock_create

pytestmark = pytest.mark.django_db
BASE = "/api/v1/staff/test-clocks"
DECLINED = "4000 0000 0000 0002"  # refused when put on file: card_declined (docs/payments.md)
PROCESSING_ERROR = "4000000000000119"  # refused when put on file: the gateway's failure
CREATED = ("test_clock.customer_created", "customer.created", "payment_method.added")


@pytest.fixture
def staff(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def _nothing_left(email: str) -> None:
    assert not User.objects.filter(email=email).exists()
    assert not Customer.objects.filter(test_clock__isnull=False).exists()
    assert not PaymentMethod.objects.exists() and not Subscription.objects.exists()
    assert not AuditEntry.objects.filter(action__in=CREATED).exists()
    assert not AuditEntry.objects.filter(customer_id__isnull=False).exists()


def test_a_declined_card_in_the_api_is_a_422_on_the_card_and_leaves_nothing(staff, admin, plan):
    test_clock = clock_create(actor=admin, name="Declines")

    answer = staff.post(
        f"{BASE}/{test_clock.pk}/customers",
        {"email": "declined@example.test", "card_number": DECLINED, "plan_slug": plan.slug},
        content_type="application/json",
    )

    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == "card_number"
    assert "declined" in answer.json()["detail"]
    _nothing_left("declined@example.test")
    assert not AdminAlert.objects.exists()


def test_a_declined_card_on_the_page_is_shown_at_the_card_and_leaves_nothing(staff, admin):
    test_clock = clock_create(actor=admin, name="Declines")

    answer = staff.post(
        f"/staff/test-clocks/{test_clock.pk}/customers",
        {
            "email": "declined@example.test",
            "company": "Acme",
            "card_number": DECLINED,
            "cycle": "annual",
        },
    )

    assert answer.status_code == 400
    assert "declined" in str(answer.context["customer_form"].errors["card_number"])
    _nothing_left("declined@example.test")
    assert not AdminAlert.objects.exists()


def test_a_gateway_failure_leaves_nothing_says_so_and_alerts_the_admins(staff, admin):
    test_clock = clock_create(actor=admin, name="Gateway fails")

    answer = staff.post(
        f"{BASE}/{test_clock.pk}/customers",
        {"email": "failed@example.test", "card_number": PROCESSING_ERROR},
        content_type="application/json",
    )

    assert answer.status_code == 503, answer.content
    assert answer.json()["field"] == "card_number"
    assert "admins have been told" in answer.json()["detail"]
    _nothing_left("failed@example.test")
    alert = AdminAlert.objects.get()
    assert (alert.reason, alert.severity) == ("test_customer_create_failed", "error")
    assert alert.context["card_failure"] == "processing_error"


def test_a_gateway_failure_on_the_page_is_shown_at_the_card(staff, admin):
    test_clock = clock_create(actor=admin, name="Gateway fails")

    answer = staff.post(
        f"/staff/test-clocks/{test_clock.pk}/customers",
        {
            "email": "failed@example.test",
            "company": "Acme",
            "card_number": PROCESSING_ERROR,
            "cycle": "annual",
        },
    )

    assert answer.status_code == 400
    assert "admins have been told" in str(answer.context["customer_form"].errors["card_number"])
    _nothing_left("failed@example.test")
    assert AdminAlert.objects.filter(reason="test_customer_create_failed").count() == 1


def test_a_card_that_asks_the_bank_at_setup_is_refused_at_the_card(staff, admin):
    test_clock = clock_create(actor=admin, name="Asks the bank")

    answer = staff.post(
        f"{BASE}/{test_clock.pk}/customers",
        {"email": "sca@example.test", "card_number": "4000002500003155"},
        content_type="application/json",
    )

    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == "card_number"
    _nothing_left("sca@example.test")


@pytest.mark.django_db(transaction=True)
def test_a_declined_card_leaves_nothing_when_transactions_really_commit(staff, admin, plan):
    # No test transaction around it: what is kept is what production would keep.
    test_clock = clock_create(actor=admin, name="Commits")

    answer = staff.post(
        f"{BASE}/{test_clock.pk}/customers",
        {"email": "committed@example.test", "card_number": DECLINED, "plan_slug": plan.slug},
        content_type="application/json",
    )

    assert answer.status_code == 422, answer.content
    _nothing_left("committed@example.test")
    assert not AdminAlert.objects.exists()
    good = staff.post(
        f"{BASE}/{test_clock.pk}/customers",
        {"email": "committed@example.test", "plan_slug": plan.slug},
        content_type="application/json",
    )
    assert good.status_code == 201, good.content  # the address was never taken
    assert Subscription.objects.get().customer_id == good.json()["id"]
