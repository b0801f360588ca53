import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command

from onboarding.accounts.models import Customer, PreferredInbox, User
from onboarding.billing.models import Subscription
from onboarding.core.errors import DomainError
from onboarding.core.roles import Role
from onboarding.demo.services import DEMO_INBOX_NOTICES, DEMO_PASSWORD, demo_data_load
from onboarding.journey.models import JourneyStep, Step
from onboarding.notifications.models import Channel, InboxMessage, Notification
from onboarding.notifications.relay import relay_drain


@pytest.mark.django_db
def test_demo_data_gives_one_login_per_role_with_a_second_factor_for_staff():
    logins = demo_data_load()
    roles = {login.role for login in logins}
    assert roles == {Role.CUSTOMER, Role.SYSOPS, Role.MANAGER, Role.ADMIN}
    for login in logins:
        user = User.objects.get(email=login.email)
        assert user.check_password(DEMO_PASSWORD)
        assert (login.totp_secret is not None) == user.is_staff_role


@pytest.mark.django_db
def test_loading_demo_data_twice_changes_nothing():
    first = demo_data_load()
    count = User.objects.count()
    second = demo_data_load()
    assert User.objects.count() == count
    assert [(x.email, x.totp_secret) for x in first] == [(x.email, x.totp_secret) for x in second]


@pytest.mark.django_db
def test_demo_data_is_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(DomainError):
        demo_data_load()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_demo_totp_prints_a_code_the_authenticator_accepts(capsys):
    demo_data_load()
    call_command("demo_totp", "sysops@demo.test")
    printed = capsys.readouterr()
    code = printed.out.strip()
    # Never a code about to expire: at least 10 seconds are left to type it in.
    assert int(printed.err.rsplit("valid for ", 1)[1].split()[0]) >= 10
    authenticator = Authenticator.objects.get(
        user__email="sysops@demo.test", type=Authenticator.Type.TOTP
    )
    assert len(code) == 6
    assert TOTP(authenticator).validate_code(code)


@pytest.mark.django_db
def test_demo_customers_stand_at_different_steps_of_the_journey():
    demo_data_load()

    def state(email: str, step: Step) -> str:
        return JourneyStep.objects.get(customer__user__email=email, step=step).state

    assert state("new.customer@demo.test", Step.ACCOUNT) == "pending"
    assert state("inapp.customer@demo.test", Step.ACCOUNT) == "done"
    assert state("inapp.customer@demo.test", Step.CARD_AND_CYCLE) == "pending"
    assert state("declined@demo.test", Step.CARD_AND_CYCLE) == "failed"
    assert state("customer@demo.test", Step.CARD_AND_CYCLE) == "done"


@pytest.mark.django_db
def test_the_in_app_demo_customer_finds_notices_in_the_inbox_once_relayed():
    demo_data_load()
    demo_data_load()  # a rerun queues nothing more
    relay_drain(worker_id="demo-test-relay")
    reader = User.objects.get(email="inapp.customer@demo.test")
    assert reader.preferred_inbox == PreferredInbox.IN_APP
    subjects = list(
        InboxMessage.objects.filter(recipient=reader)
        .order_by("pk")
        .values_list("subject", flat=True)
    )
    assert subjects == [str(subject) for subject, *_ in DEMO_INBOX_NOTICES]
    # Sent through the notification service: each has its notification and nothing by email.
    notices = Notification.objects.filter(recipient=reader, kind="demo_notice")
    assert notices.count() == len(DEMO_INBOX_NOTICES)
    assert all(n.channels == [Channel.IN_APP] for n in notices)
    # Customers who read email get no demo notices.
    assert not Notification.objects.filter(
        recipient__email="customer@demo.test", kind="demo_notice"
    ).exists()


@pytest.mark.django_db
def test_the_german_demo_customer_reads_german_and_pays_in_euros():
    demo_data_load()
    customer = Customer.objects.get(user__email="kunde@demo.test")
    assert (customer.language, customer.country, customer.currency) == ("de", "DE", "EUR")
    # Their demo notices are written in German, greeting and all.
    notices = Notification.objects.filter(recipient=customer.user, kind="demo_notice")
    assert sorted(notices.values_list("subject", flat=True)) == [
        "Geplante Wartung am Samstag",
        "Ihr Profil ist vollständig",
        "Willkommen bei Onboarding",
    ]
    assert all(n.language == "de" and "Guten Tag Klara," in n.body_text for n in notices)
    # The purchase is made; its first invoice is the worker's to issue (in German, in euros).
    subscription = Subscription.objects.get(customer=customer)
    assert (subscription.currency, subscription.cycle) == ("EUR", "annual")
