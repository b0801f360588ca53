"""The account page's facts come in one query and say what the apps' own selectors say."""

import pytest
from allauth.account.models import EmailAddress
from django.http import Http404

from onboarding.accounts.selectors import contact_count_of, customer_of_user
from onboarding.accounts.services import contact_add
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.billing.selectors import invoice_to_pay_of
from onboarding.core.roles import Role
from onboarding.notifications.relay import relay_drain
from onboarding.notifications.selectors import acknowledged_email_of, inbox_unread_count
from onboarding.notifications.services import inbox_mark_read
from onboarding.payments.selectors import payment_method_active
from onboarding.portal.selectors import account_facts_of
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import DEFAULT_PASSWORD, UserFactory, plan_with_prices
from tests.notifications.conftest import send
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db


def apps_say(user) -> dict:
    """The same facts, each from the selector of the app it belongs to."""
    customer = customer_of_user(user=user)
    invoice = invoice_to_pay_of(customer=customer)
    return {
        "customer": customer.pk,
        "card": payment_method_active(customer=customer),
        "contact_count": contact_count_of(customer=customer),
        "email_verified": acknowledged_email_of(user) is not None,
        "invoice_to_pay": (invoice.pk, invoice.number) if invoice else None,
        "unread_count": inbox_unread_count(user=user),
    }


def facts_say(user) -> dict:
    facts = account_facts_of(user=user)
    return {
        "customer": facts.customer.pk,
        "card": facts.card,
        "contact_count": facts.contact_count,
        "email_verified": facts.email_verified,
        "invoice_to_pay": facts.invoice_to_pay,
        "unread_count": facts.unread_count,
    }


def test_a_new_customers_facts_are_one_query_and_what_the_apps_say(
    django_assert_num_queries,
):
    user = UserFactory()
    with django_assert_num_queries(1):
        facts = facts_say(user)
    assert facts == apps_say(user)
    assert facts["contact_count"] == 0 and facts["invoice_to_pay"] is None
    assert facts["email_verified"] is True
    assert facts["card"] is None


def test_an_unverified_customer_with_contacts_and_an_unpaid_invoice(django_assert_num_queries):
    customer = ready_customer(UserFactory(verified=False), card=DECLINING_CARD)
    EmailAddress.objects.create(user=customer.user, email="other@example.com", verified=False)
    for name in ("Ada", "Grace"):
        contact_add(
            customer=customer,
            actor=customer.user,
            details={"name": name, "email": f"{name.lower()}@example.com", "role": "billing"},
        )
    buy(customer, plan_with_prices())
    bill_run_execute(run_date=today())  # issued, its charge declined: still to pay
    invoice = Invoice.objects.get(customer=customer)

    with django_assert_num_queries(1):
        facts = facts_say(customer.user)

    assert facts == apps_say(customer.user)
    assert facts["contact_count"] == 2
    assert facts["email_verified"] is False
    assert facts["invoice_to_pay"] == (invoice.pk, invoice.number)
    assert facts["card"].last4 == DECLINING_CARD[-4:]


def test_the_oldest_invoice_still_to_pay_is_the_one_named():
    customer = ready_customer(card=DECLINING_CARD)
    buy(customer, plan_with_prices())
    buy(customer, plan_with_prices("edge-care"), "annual")
    bill_run_execute(run_date=today())
    first, second = Invoice.objects.filter(customer=customer).order_by("id")
    assert second.status == first.status  # both still to pay

    assert facts_say(customer.user)["invoice_to_pay"] == (first.pk, first.number)
    assert facts_say(customer.user) == apps_say(customer.user)


@pytest.mark.parametrize("role", [Role.SYSOPS, Role.MANAGER, Role.ADMIN])
def test_staff_have_no_account_facts(role):
    with pytest.raises(Http404):
        account_facts_of(user=UserFactory(role=role))


def test_a_customer_login_without_a_customer_record_has_no_account_facts():
    with pytest.raises(Http404):
        account_facts_of(user=UserFactory(customer_record=False))


def test_after_a_card_is_replaced_the_facts_name_the_new_card_only():
    customer = ready_customer()
    new = card_on_file(customer, "5555555555554444", password=DEFAULT_PASSWORD)

    facts = account_facts_of(user=customer.user)
    assert facts.card == new and facts.card.last4 == "4444"
    assert facts_say(customer.user) == apps_say(customer.user)


def test_the_unread_inbox_count_is_the_users_own_unread_messages(client):
    customer = ready_customer()
    someone_else = ready_customer()
    for key in ("a", "b", "c"):
        send(customer.user, f"facts:{key}", channels=["in_app"])
    send(someone_else.user, "facts:other", channels=["in_app"])
    relay_drain(worker_id="test-relay")
    first = customer.user.inbox_messages.order_by("id").first()
    inbox_mark_read(user=customer.user, message_id=first.pk)

    assert account_facts_of(user=customer.user).unread_count == 2
    assert facts_say(customer.user) == apps_say(customer.user)
    client.force_login(customer.user)
    page = client.get("/account/").content.decode()
    assert "2 unread notices in your inbox" in page
