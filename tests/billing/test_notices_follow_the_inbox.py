"""Payment notices go to the preferred inbox: an in-app customer hears of a failed (or taken)
first payment in-app, while the invoice itself still travels by email with its PDF. Emails greet
people by name, never by their email address."""

import pytest

from onboarding.accounts.models import Contact, PreferredInbox
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice
from onboarding.notifications.models import Notification
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _issued(user, plan, *, card: str = DECLINING_CARD, **profile) -> Invoice:
    buy(ready_customer(user, card=card, **profile), plan)
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(customer=user.customer)
    invoice_follow_up(invoice_id=invoice.pk)
    return invoice


def test_an_in_app_customer_gets_the_failed_payment_in_app_only(plan):
    user = UserFactory(preferred_inbox=PreferredInbox.IN_APP)
    _issued(user, plan)
    failed = Notification.objects.get(recipient=user, kind="payment_failed")
    assert failed.channels == ["in_app"]
    issued = Notification.objects.get(recipient=user, kind="invoice_issued")
    assert issued.channels == ["in_app", "email"]  # the invoice's PDF travels by email
    assert "could not take the payment" not in issued.body_text
    assert "did not go through" not in issued.subject
    assert "in your inbox on the site" in issued.body_text


def test_an_email_customer_is_told_of_the_failed_payment_in_the_invoice_email(plan):
    user = UserFactory(preferred_inbox=PreferredInbox.EMAIL)
    _issued(user, plan)
    issued = Notification.objects.get(recipient=user, kind="invoice_issued")
    assert issued.channels == ["email"]
    assert "could not take the payment" in issued.body_text
    assert not Notification.objects.filter(recipient=user, kind="payment_failed").exists()


def _greeting(user) -> str:
    notice = Notification.objects.get(recipient=user, kind="invoice_issued")
    assert notice.body_html.startswith(f"<p>{notice.body_text.splitlines()[0]}</p>")
    return notice.body_text.splitlines()[0]


def test_an_email_greets_the_person_by_name(plan):
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    _issued(user, plan)
    assert _greeting(user) == "Hello Ada Lovelace,"


def test_without_a_name_it_greets_the_contact_with_the_same_address(plan):
    user = UserFactory(first_name="", last_name="")
    Contact.objects.create(
        customer=user.customer, name="Grace Hopper", role="Billing", email=user.email.upper()
    )
    _issued(user, plan)
    assert _greeting(user) == "Hello Grace Hopper,"


def test_without_a_name_or_contact_it_greets_the_company(plan):
    user = UserFactory(first_name="", last_name="")
    _issued(user, plan, company="Acme Ltd")
    assert _greeting(user) == "Hello Acme Ltd,"


def test_with_nothing_known_it_says_hello_and_never_the_email_address(plan):
    user = UserFactory(first_name="", last_name="")
    _issued(user, plan, company="")
    assert _greeting(user) == "Hello,"
    notice = Notification.objects.get(recipient=user, kind="invoice_issued")
    assert f"Hello {user.email}" not in notice.body_text
