"""Mail and notices in the customer's language, also where no request exists (docs/i18n.md):
the worker's periodic reminder and the relay that sends it, and allauth's sign-up mail."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from onboarding.accounts.models import Customer
from onboarding.notifications.models import Notification
from onboarding.payments.tasks import cards_remind_expiring as cards_remind_expiring_task
from tests.payments.helpers import card_on_file

pytestmark = pytest.mark.django_db

PASSPHRASE = "correct horse battery staple 42"


@pytest.fixture
def german_customer(customer):
    customer.preferred_inbox = "email"
    customer.save(update_fields=["preferred_inbox"])
    Customer.objects.filter(pk=customer.pk).update(language="de")
    return customer


def test_the_worker_and_the_relay_write_in_the_customers_language(
    german_customer, smtp_mail, deliver
):
    today = dt.date.today()
    card_on_file(german_customer.customer, exp_month=today.month, exp_year=today.year)
    # The page that asked may be English: the worker's task has no request at all.
    with translation.override("en"):
        assert cards_remind_expiring_task.call() == 1
    notice = Notification.objects.get(kind="card_expiring", recipient=german_customer)
    assert notice.language == "de"
    # The customer switches to French before the relay sends it: what was written stays German,
    # as any retry or re-queue of it does.
    Customer.objects.filter(pk=german_customer.pk).update(language="fr")
    deliver()
    [received] = smtp_mail.sink.to(german_customer.email)
    assert received.subject == "Ihre Karte mit Endziffern 4242 läuft bald ab"
    body = received.text()
    assert body.startswith("Guten Tag") and "Ihre hinterlegte Karte" in body
    assert "Supportverträge" in body
    assert "Your card" not in body and "Hello" not in body


def test_an_english_customer_still_gets_the_english_mail(customer, smtp_mail, deliver):
    today = dt.date.today()
    customer.preferred_inbox = "email"
    customer.save(update_fields=["preferred_inbox"])
    card_on_file(customer.customer, exp_month=today.month, exp_year=today.year)
    with translation.override("de"):  # whatever the worker had active
        cards_remind_expiring_task.call()
    deliver()
    [received] = smtp_mail.sink.to(customer.email)
    assert received.subject == "Your card ending 4242 expires soon"
    assert received.text().startswith("Hello")


def test_the_sign_up_mail_is_in_the_browsers_language(client, smtp_mail, deliver):
    answer = client.post(
        reverse("account_signup"),
        {"email": "nouveau@example.com", "password1": PASSPHRASE, "password2": PASSPHRASE},
        HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9",
    )
    assert answer.status_code == 302
    deliver()
    [received] = smtp_mail.sink.to("nouveau@example.com")
    assert received.subject.startswith("Bienvenue sur")
    assert "Merci d\u2019avoir créé votre compte" in received.text()
    assert re.search(r"https?://\S+/accounts/confirm-email/\S+", received.text())
    assert Notification.objects.get(to_email="nouveau@example.com").language == "fr"
