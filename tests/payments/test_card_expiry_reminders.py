import datetime as dt

import pytest
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.notifications.models import Notification
from onboarding.payments.methods import cards_remind_expiring
from onboarding.payments.selectors import cards_expiring_soon
from onboarding.payments.tasks import cards_remind_expiring as cards_remind_expiring_task
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db
TODAY = dt.date(2031, 3, 10)  # cards expiring 03/2031 (in 21 days) count; 04/2031 does not


@pytest.fixture
def expiring(customer):
    return card_on_file(customer.customer, exp_month=3, exp_year=2031)


def test_a_card_expiring_this_month_is_listed_and_next_months_is_not(expiring, other_customer):
    later = card_on_file(other_customer.customer, exp_month=4, exp_year=2031)
    soon = list(cards_expiring_soon(today=TODAY))
    assert expiring in soon and later not in soon


def test_the_selector_agrees_with_the_models_rule(customer):
    method = card_on_file(customer.customer, exp_month=4, exp_year=2031)
    for day in (dt.date(2031, 3, 1), dt.date(2031, 3, 2), dt.date(2031, 4, 15)):
        listed = method in cards_expiring_soon(today=day)
        assert listed == method.expires_within(30, today=day), day


def test_the_owner_is_reminded_in_the_preferred_inbox(expiring, customer):
    assert cards_remind_expiring(today=TODAY) == 1
    notice = Notification.objects.get(kind="card_expiring")
    assert notice.recipient == customer
    assert notice.channels == [customer.preferred_inbox]
    assert "4242" in notice.subject and "03/2031" in notice.body_text
    expiring.refresh_from_db()
    assert expiring.expiry_reminded_at is not None
    assert AuditEntry.objects.filter(action="payment_method.expiry_reminded").exists()


def test_running_the_reminder_twice_reminds_once(expiring):
    assert cards_remind_expiring(today=TODAY) == 1
    assert cards_remind_expiring(today=TODAY) == 0
    assert Notification.objects.filter(kind="card_expiring").count() == 1


def test_the_periodic_task_reminds_once_when_run_twice(customer):
    now = timezone.now()
    card_on_file(customer.customer, exp_month=now.month, exp_year=now.year)
    assert cards_remind_expiring_task.call() == 1
    assert cards_remind_expiring_task.call() == 0
    assert Notification.objects.filter(kind="card_expiring", recipient=customer).count() == 1


def test_a_new_card_gets_its_own_reminder(expiring, customer):
    cards_remind_expiring(today=TODAY)
    card_on_file(customer.customer, exp_month=3, exp_year=2031, password=DEFAULT_PASSWORD)
    assert cards_remind_expiring(today=TODAY) == 1
    assert Notification.objects.filter(kind="card_expiring").count() == 2
