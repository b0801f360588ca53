"""The fault matrix: each failure line of the seed, caused for real, and what must follow.

Seed failure line (a section below)
    fault caused here
        test

Access or account creation not available
    the database refuses the sign-up's writes while SMTP is stopped
        test_account_creation_unavailable
    the database refuses every audit write, so not even the alert can be stored
        test_account_creation_unavailable_when_not_even_the_alert_can_be_stored
Account creation or update unsuccessful
    the database refuses the user row's half of a profile update (page and API)
        test_account_update_failed
    PostgreSQL: another session holds the customer's row past the lock timeout
        test_account_update_failed_on_a_lock_timeout
CC# or billing cycle selection unsuccessful
    the sandbox gateway declines, or times out, when the card is put on file
        test_card_failed[gateway-declines], test_card_failed[gateway-times-out]
    the database refuses the new billing cycle
        test_billing_cycle_change_failed
    the database refuses the subscription a purchase (plan and cycle) creates
        test_purchase_with_billing_cycle_failed
        (and test_purchase_racing_the_same_purchase_is_told_it_has_the_plan, its other side)
Missing invoice
    WeasyPrint cannot render the restyled invoice
        test_missing_invoice_pdf_cannot_be_rendered
    the database refuses new invoices
        test_missing_invoice_never_issued
    the documents volume is not mounted
        test_missing_invoice_pdf_gone_from_storage
Payment incomplete
    the sandbox gateway declines the charge
        test_payment_incomplete_gateway_declines
    the sandbox gateway times out on the charge, and on every resend of it
        test_payment_incomplete_gateway_times_out
        (and test_payment_never_received_is_sent_again_at_once, when the resend goes through)
    the gateway's answer is lost after the charge, and it cannot be asked
        test_payment_incomplete_answer_lost_and_gateway_unreachable
Contract incomplete
    the PDF storage cannot be written, then SMTP is stopped at delivery
        test_contract_incomplete
Customer unknown to SysOps
    the customer's sign-up failed on the database, while SMTP is stopped
        test_customer_unknown_to_sysops
    a table the full customer view reads is gone
        test_customer_profile_unavailable_to_sysops_on_a_database_error
    (a customer account opened in the Django admin)
        test_customer_unknown_to_sysops_never_for_an_account_an_admin_opened

Each test checks the same four things:
1. the person sees a clear message (page text or API error body);
2. the admin alert ("Notify admin") exists;
3. the audit log records the failure;
4. once the fault is gone, nothing half-made is left and no notification was lost: the retry
   works, the mail arrives exactly once through a real SMTP server, the card is charged once.

Faults are real: the sandbox gateway's armed faults (`manage.py sandbox_fault`), a stopped aiosmtpd
server, a stylesheet WeasyPrint cannot lay out, a storage folder that cannot be created or read,
a table renamed away, a row lock held by another session, and the database itself refusing a
write (a CHECK constraint on PostgreSQL, a trigger on SQLite, added for the length of the fault).
Nothing of the project is mocked. Background work runs in the project's own worker and relay.
"""

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from onboarding.accounts.models import Customer, User
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing import documents as billing_documents
from onboarding.billing.models import Invoice, InvoiceLine, Subscription
from onboarding.billing.services import CYCLE_CHANGE_FAILED, PURCHASE_FAILED
from onboarding.billing.tasks import follow_ups_dispatch, invoices_missing_task
from onboarding.contracts.issuing import issue_task_key
from onboarding.contracts.models import Contract, ContractDocument, ContractState
from onboarding.contracts.tasks import contract_issue_for_subscription_task
from onboarding.core.errors import Conflict
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.notifications.models import Notification, OutboxMessage, OutboxStatus
from onboarding.notifications.relay import relay_drain
from onboarding.payments.models import (
    PaymentAttempt,
    PaymentMethod,
    SandboxCard,
    SandboxCharge,
    SandboxFault,
)
from onboarding.payments.reconcile import payment_reconcile_unknown
from onboarding.worker.services import task_enqueue_once
from tests.billing.conftest import buy, ready_customer
from tests.contracts.conftest import subscribe
from tests.factories import UserFactory, complete_profile, plan_with_prices
from tests.waiting import wait_until
from tests.worker.conftest import run_worker_in_process

SERVER_ERROR_TEXT = "Something went wrong on our side"

BILLING_PDF_TEMPLATES = Path(billing_documents.__file__).parent / "templates"


# --- Faults ---------------------------------------------------------------------------------------


@contextmanager
def database_refuses(model, condition: str, *, name: str) -> Iterator[None]:
    """While open, the database refuses any INSERT or UPDATE of `model` whose new row matches
    `condition` (SQL; write each column as `{row}column`), as a violated constraint would.

    PostgreSQL gets a CHECK constraint (NOT VALID: existing rows are not checked); SQLite, which
    cannot add one to an existing table, gets triggers that abort the statement.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        check = condition.format(row="")
        add = [f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} CHECK (NOT ({check})) NOT VALID"]
        drop = [f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}"]
    else:
        check = condition.format(row="NEW.")
        add = [
            f"CREATE TRIGGER {quote(f'{name}_{op}')} BEFORE {op} ON {table} WHEN ({check}) "
            f"BEGIN SELECT RAISE(ABORT, 'fault matrix: {name}'); END"
            for op in ("INSERT", "UPDATE")
        ]
        drop = [f"DROP TRIGGER {quote(f'{name}_{op}')}" for op in ("INSERT", "UPDATE")]
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # ALTER TABLE refuses to run while the transaction has deferred constraint checks
        # pending (the test's own inserts): run them now, and defer them again around it.
        add = ["SET CONSTRAINTS ALL IMMEDIATE", *add, "SET CONSTRAINTS ALL DEFERRED"]
        drop = ["SET CONSTRAINTS ALL IMMEDIATE", *drop, "SET CONSTRAINTS ALL DEFERRED"]
    with connection.cursor() as cursor:
        for statement in add:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)


@contextmanager
def row_locked_by_another_session(model, pk: int) -> Iterator[None]:
    """PostgreSQL: another session holds the row (SELECT ... FOR UPDATE) until the block ends,
    and this process's sessions give up waiting for a lock after 300 ms (lock_timeout)."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("options")
    options["options"] = "-c lock_timeout=300"
    connection.close()  # the next query connects with the lock timeout
    holder.start()
    try:
        assert locked.wait(10), "the other session never took the lock"
        yield
    finally:
        release.set()
        holder.join(10)
        if before is None:
            options.pop("options", None)
        else:
            options["options"] = before
        connection.close()


@contextmanager
def table_gone(model) -> Iterator[None]:
    """The model's table is out of reach for the length of the block (renamed away, as by a
    botched migration), then back."""
    quote = connection.ops.quote_name
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(table + '_away')}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quote(table + '_away')} RENAME TO {quote(table)}")


@contextmanager
def smtp_stopped(server) -> Iterator[None]:
    """The loopback SMTP server is down for the length of the block, then up on the same port
    with the same mailbox (an aiosmtpd controller cannot be started twice: a new one listens)."""
    server.stop()
    try:
        yield
    finally:
        server.controller = Controller(server.sink, hostname="127.0.0.1", port=server.port)
        server.start()


@contextmanager
def invoice_restyle_weasyprint_cannot_render(settings, folder: Path) -> Iterator[None]:
    """A restyled invoice stylesheet (a copy under a templates folder overrides the shipped
    one) that WeasyPrint cannot lay out: a font size past what it can compute with."""
    css = folder / "billing" / "pdf" / "document.css"
    css.parent.mkdir(parents=True)
    shipped = (BILLING_PDF_TEMPLATES / "billing" / "pdf" / "document.css").read_text()
    css.write_text(shipped + "\nbody { font-size: 1e308px; }\n")
    original = settings.TEMPLATES
    settings.TEMPLATES = [{**original[0], "DIRS": [folder, *original[0]["DIRS"]]}]
    try:
        yield
    finally:
        settings.TEMPLATES = original


@contextmanager
def storage_unwritable(settings, tmp_path: Path) -> Iterator[None]:
    """The PDF storage folder cannot be created: where it should be, a file is in the way (a
    volume mounted wrong). Permission bits would not do: the suite may run as root."""
    in_the_way = tmp_path / "not-a-folder"
    in_the_way.write_text("")
    original = settings.STORAGES
    use_storage(settings, in_the_way / "media")
    try:
        yield
    finally:
        settings.STORAGES = original


@contextmanager
def documents_unmounted(media: Path) -> Iterator[None]:
    """The stored invoices are out of reach for the length of the block (the documents volume is
    not mounted), then back as they were."""
    stored, away = media / "invoices", media.parent / "invoices-unmounted"
    stored.rename(away)
    try:
        yield
    finally:
        away.rename(stored)


# --- Set-up, and what the tests look at -----------------------------------------------------------


def use_storage(settings, location: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }


@pytest.fixture
def plan(db):
    return plan_with_prices()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def worker_pass(*, later: bool = False) -> None:
    """What the workers do next: with `later`, tasks waiting for a retry are due first; the
    periodic follow-up dispatcher runs as its schedule would."""
    if later:
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
    run_worker_in_process()
    follow_ups_dispatch()
    run_worker_in_process()


def relay(*, later: bool = False):
    """Run the outbox relay until nothing is due; `later` stands two hours on, so rows waiting
    for their next retry are due too."""
    now = timezone.now() + timedelta(hours=2) if later else None
    return relay_drain(worker_id="fault-matrix-relay", now=now)


def mails_to(server, address: str, subject_part: str = "") -> list:
    return [m for m in server.sink.to(address) if subject_part in m.subject]


def assert_each_mail_once(server) -> None:
    ids = [m.message_id for m in server.sink.messages()]
    assert len(ids) == len(set(ids)), "a notification was emailed twice"


def alerts(reason: str):
    return AdminAlert.objects.filter(reason=reason)


def audited(action: str, **filters) -> int:
    return AuditEntry.objects.filter(action=action, **filters).count()


def step_of(customer, step: Step) -> JourneyStep:
    return JourneyStep.objects.get(customer=customer, step=step)


def page_text(response) -> str:
    return response.content.decode()


def invoice_pdfs(media: Path) -> list[Path]:
    return sorted((media / "invoices").rglob("*.pdf")) if (media / "invoices").exists() else []


def sessions_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


# --- Access or account creation not available -----------------------------------------------------

SIGN_UP = {
    "email": "new.customer@example.com",
    "password1": "a long and unusual passphrase",
    "password2": "a long and unusual passphrase",
}


def sign_up(client: Client):
    return client.post(reverse("account_signup"), SIGN_UP)


@pytest.mark.django_db
def test_account_creation_unavailable(smtp_mail, admin_user):
    """The database refuses the new customer's journey rows (the last write of a sign-up) while
    the mail server is down too."""
    client = Client(raise_request_exception=False)
    with smtp_stopped(smtp_mail):
        with database_refuses(JourneyStep, "1 = 1", name="fault_signup"):
            response = sign_up(client)
        relay()  # the admin's alert mail cannot go out yet

        # 1. The person sees the error page with a reference to quote.
        assert response.status_code == 500
        assert SERVER_ERROR_TEXT in page_text(response)
        assert response["X-Request-ID"] in page_text(response)
        # 2. An admin is alerted, 3. and the failure is audited.
        alert = alerts("account_unavailable").get()
        assert "POST" in alert.message
        assert audited("failure.account_unavailable", outcome="failure") == 1
        # 4. Nothing half-made: no user, address, customer or journey, and no mail queued for an
        # account that does not exist.
        assert not User.objects.filter(email=SIGN_UP["email"]).exists()
        assert not EmailAddress.objects.filter(email=SIGN_UP["email"]).exists()
        assert not Customer.objects.filter(user__email=SIGN_UP["email"]).exists()
        assert not Notification.objects.filter(to_email=SIGN_UP["email"]).exists()
        admin_mail = OutboxMessage.objects.get(notification__recipient=admin_user, channel="email")
        assert admin_mail.status == OutboxStatus.RETRYING

    # The fault is gone: the same sign-up works, and each mail arrives exactly once.
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email=SIGN_UP["email"])
    assert JourneyStep.objects.filter(customer=user.customer).count() == len(Step)
    relay(later=True)
    relay(later=True)  # a second pass finds nothing more to send
    assert len(mails_to(smtp_mail, SIGN_UP["email"])) == 1
    assert len(mails_to(smtp_mail, admin_user.email, "account_unavailable")) == 1
    assert audited("customer.created", customer_id=user.customer.pk) == 1


@pytest.mark.django_db
def test_account_creation_unavailable_when_not_even_the_alert_can_be_stored(settings, smtp_mail):
    """The database refuses every audit entry, so neither the sign-up nor its admin alert
    (which is audited in the same transaction) can be stored: the last resort is a direct mail
    to ADMINS_EMAILS, carrying the reference the person was shown."""
    settings.ADMINS = [("Admins", "ops@example.com")]
    client = Client(raise_request_exception=False)
    with database_refuses(AuditEntry, "1 = 1", name="fault_audit"):
        response = sign_up(client)

    # 1. The person sees the error page and a reference.
    assert response.status_code == 500
    assert SERVER_ERROR_TEXT in page_text(response)
    reference = response["X-Request-ID"]
    assert reference in page_text(response)
    # 2. No alert row could be written, so the admins are mailed directly, with the reference;
    # 3. the audit log was the thing that failed, so nothing is in it.
    assert not AdminAlert.objects.exists()
    assert not AuditEntry.objects.exists()
    [mail] = mails_to(smtp_mail, "ops@example.com", "account_unavailable")
    assert "The alert could not be stored" in mail.text()
    assert reference in mail.text()
    # 4. Nothing half-made, and the sign-up works once the database takes writes again.
    assert not User.objects.filter(email=SIGN_UP["email"]).exists()
    assert sign_up(client).status_code == 302
    assert audited("customer.created") == 1


# --- Account creation or update unsuccessful ------------------------------------------------------

PROFILE = {
    "company": "Fault Tolerant Ltd",
    "address_line1": "2 Low Road",
    "city": "Leeds",
    "postal_code": "LS1 1AA",
    "country": "GB",
    "preferred_inbox": "in_app",
}


def _profile_refused():
    # The customer row saves first; the user row (the preferred inbox) is refused after it.
    return database_refuses(User, "{row}preferred_inbox = 'in_app'", name="fault_profile")


@pytest.mark.django_db
def test_account_update_failed(customer, customer_client, smtp_mail, admin_user):
    """The database refuses the second half of a profile update (the user's preferred inbox),
    after the first half (the customer's address) was written."""
    before = Customer.objects.get(user=customer)
    with _profile_refused():
        page = customer_client.post(reverse("accounts:profile"), PROFILE)
        api = customer_client.put("/api/v1/me/profile", PROFILE, content_type="application/json")

    # 1. Both say so in words, and that nothing changed.
    assert page.status_code == 200
    assert "could not be saved because of a problem on our side" in page_text(page)
    assert "Nothing was changed" in page_text(page)
    assert api.status_code == 503
    # One message, defined once beside the service, on the page and in the API.
    assert api.json() == {
        "detail": "Your changes could not be saved because of a problem on our side. "
        "Nothing was changed, and our team has been told.",
        "code": "unavailable",
    }
    # 2. One alert, counted twice; 3. both failures audited, no success audited.
    alert = alerts("profile_update_failed").get()
    assert (alert.count, alert.customer_id) == (2, before.pk)
    assert audited("failure.profile_update_failed", customer_id=before.pk) == 2
    assert audited("customer.profile_updated") == 0
    # 4. No half of the update stayed: the company saved before the refused write rolled back.
    after = Customer.objects.select_related("user").get(pk=before.pk)
    assert (after.company, after.city) == (before.company, before.city)
    assert after.user.preferred_inbox == "email"

    # The fault is gone: the same form saves both halves, audited once.
    again = customer_client.post(reverse("accounts:profile"), PROFILE)
    assert again.status_code == 302
    after.refresh_from_db()
    after.user.refresh_from_db()
    assert (after.company, after.user.preferred_inbox) == ("Fault Tolerant Ltd", "in_app")
    assert audited("customer.profile_updated", customer_id=before.pk) == 1
    relay()
    relay()
    assert len(mails_to(smtp_mail, admin_user.email, "profile_update_failed")) == 1


@pytest.mark.django_db(transaction=True)
def test_account_update_failed_on_a_lock_timeout(require_postgres, smtp_mail, admin_user):
    """PostgreSQL: another session holds the customer's row past the lock timeout."""
    user = UserFactory()
    client = client_of(user)
    with row_locked_by_another_session(Customer, user.customer.pk):
        page = client.post(reverse("accounts:profile"), PROFILE)

    # 1. The form says so; 2. alerted; 3. audited.
    assert "could not be saved because of a problem on our side" in page_text(page)
    alert = alerts("profile_update_failed").get()
    assert "lock timeout" in alert.context["error"]
    assert audited("failure.profile_update_failed", customer_id=user.customer.pk) == 1
    # 4. Nothing changed, and once the lock is gone the same form saves, audited once.
    assert Customer.objects.get(pk=user.customer.pk).company != PROFILE["company"]
    assert client.post(reverse("accounts:profile"), PROFILE).status_code == 302
    assert Customer.objects.get(pk=user.customer.pk).company == PROFILE["company"]
    assert audited("customer.profile_updated", customer_id=user.customer.pk) == 1
    relay()
    assert len(mails_to(smtp_mail, admin_user.email, "profile_update_failed")) == 1


# --- CC# or billing cycle selection unsuccessful --------------------------------------------------

CARD = {"number": "5555 5555 5555 4444", "exp_month": 12, "cvc": "123", "holder_name": "A Person"}


def card_fields() -> dict:
    return {**CARD, "exp_year": timezone.now().year + 2}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("card_declined", "The card was refused by the payment provider."),
        ("timeout", "The payment provider did not answer. Your card was not saved"),
    ],
    ids=["gateway-declines", "gateway-times-out"],
)
def test_card_failed(fault, message, customer, customer_client, plan, smtp_mail, admin_user):
    """The sandbox gateway refuses, or never answers, when the card is put on file."""
    profile = complete_profile(customer.customer)
    call_command("sandbox_fault", "tokenize", fault, "--times", "2")

    page = customer_client.post(reverse("payments:card"), card_fields())
    api = customer_client.post("/api/v1/me/card", card_fields(), content_type="application/json")

    # 1. The card form and the API say why, and the number is not shown back.
    assert page.status_code == 422
    assert message in page_text(page)
    assert "5555 5555 5555 4444" not in page_text(page)
    assert api.status_code == 400
    assert message in api.json()["detail"]
    # The account page shows the failed step and why.
    home = page_text(customer_client.get(reverse("accounts:home")))
    assert message.split(".")[0] in home
    step = step_of(profile, Step.CARD_AND_CYCLE)
    assert step.state == StepState.FAILED
    # 2. One alert for the card, counted twice; 3. both refusals audited.
    alert = alerts("card_refused").get()
    assert (alert.count, alert.customer_id) == (2, profile.pk)
    assert audited("payment_method.add_failed", customer_id=profile.pk, outcome="failure") == 2
    # 4. Nothing stored on either side: no card on file, no card at the gateway, no fault left.
    assert not PaymentMethod.objects.exists()
    assert not SandboxCard.objects.exists()
    assert not SandboxFault.objects.filter(remaining__gt=0).exists()

    # The fault is gone: the card goes on file, the purchase completes the step.
    assert customer_client.post(reverse("payments:card"), card_fields()).status_code == 302
    assert PaymentMethod.objects.filter(customer=profile, status="active").count() == 1
    bought = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "monthly"})
    assert bought.status_code == 302
    step.refresh_from_db()
    assert (step.state, step.failure_reason) == (StepState.DONE, "")
    relay()
    relay()
    assert len(mails_to(smtp_mail, customer.email, f"Your purchase of {plan.name}")) == 1
    assert len(mails_to(smtp_mail, admin_user.email, "card_refused")) == 1


@pytest.mark.django_db
def test_billing_cycle_change_failed(customer, customer_client, plan, admin_user, smtp_mail):
    """The database refuses the subscription's new billing cycle."""
    subscription = buy(ready_customer(customer), plan, "monthly")
    url = reverse("billing:change_cycle", args=[subscription.pk])
    with database_refuses(Subscription, "{row}pending_cycle = 'annual'", name="fault_cycle"):
        page = customer_client.post(url, {"cycle": "annual"}, follow=True)
        api = customer_client.put(
            f"/api/v1/me/subscriptions/{subscription.pk}/cycle",
            {"cycle": "annual"},
            content_type="application/json",
        )

    # 1. The account page and the API say it failed and nothing changed.
    assert "billing cycle could not be changed because of a problem on our side" in page_text(page)
    assert "Nothing was changed" in page_text(page)
    assert api.status_code == 503
    # One message, defined once beside the service, on the page and in the API.
    assert api.json()["detail"] == CYCLE_CHANGE_FAILED.message
    # 2. alerted; 3. audited, and no change audited.
    alert = alerts("cycle_change_failed").get()
    assert (alert.count, alert.object_id) == (2, str(subscription.pk))
    assert audited("failure.cycle_change_failed", customer_id=subscription.customer_id) == 2
    assert audited("subscription.cycle_changed") == 0
    # 4. The subscription is as it was.
    subscription.refresh_from_db()
    assert (subscription.cycle, subscription.pending_cycle) == ("monthly", "")

    # The fault is gone: the change is taken for the next period, audited once.
    customer_client.post(url, {"cycle": "annual"})
    subscription.refresh_from_db()
    assert subscription.pending_cycle == "annual"
    assert audited("subscription.cycle_changed", object_id=str(subscription.pk)) == 1
    relay()
    assert len(mails_to(smtp_mail, admin_user.email, "cycle_change_failed")) == 1


@pytest.mark.django_db(transaction=True)
def test_purchase_with_billing_cycle_failed(plan, smtp_mail, admin_user):
    """The database refuses the new subscription when the customer confirms plan and cycle."""
    customer = ready_customer()
    client = client_of(customer.user)
    url = reverse("billing:buy", args=[plan.slug])
    with database_refuses(Subscription, "1 = 1", name="fault_purchase"):
        page = client.post(url, {"cycle": "quarterly"})
        api = client.post(
            "/api/v1/me/subscriptions",
            {"plan": plan.slug, "cycle": "quarterly"},
            content_type="application/json",
        )

    # 1. The purchase page and the API say it failed on our side, and nothing was charged.
    assert page.status_code == 422
    assert "could not be completed because of a problem on our side" in page_text(page)
    assert "You have not been charged" in page_text(page)
    assert api.status_code == 503
    assert api.json()["detail"] == PURCHASE_FAILED.message
    # 2. alerted; 3. audited.
    alert = alerts("purchase_failed").get()
    assert (alert.count, alert.customer_id) == (2, customer.pk)
    assert (alert.context["plan"], alert.context["cycle"]) == (str(plan), "quarterly")
    assert audited("failure.purchase_failed", customer_id=customer.pk) == 2
    # 4. No subscription, no confirmation queued, no first invoice waiting to be issued.
    assert not Subscription.objects.exists()
    assert not Notification.objects.filter(kind="purchase_confirmed").exists()
    assert not DBTaskResult.objects.filter(task_path__endswith="subscription_bill_task").exists()
    assert step_of(customer, Step.CARD_AND_CYCLE).state == StepState.PENDING

    # The fault is gone: one subscription, one first invoice charged once, one confirmation.
    assert client.post(url, {"cycle": "quarterly"}).status_code == 302
    worker_pass()
    relay()
    relay()
    [subscription] = Subscription.objects.all()
    assert subscription.cycle == "quarterly"
    assert Invoice.objects.get(subscription=subscription).status == "paid"
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert len(mails_to(smtp_mail, customer.user.email, f"Your purchase of {plan.name}")) == 1
    assert len(mails_to(smtp_mail, admin_user.email, "purchase_failed")) == 1


@pytest.mark.django_db(transaction=True)
def test_purchase_racing_the_same_purchase_is_told_it_has_the_plan(require_postgres, plan):
    """The other side of test_purchase_with_billing_cycle_failed: when the database refuses a
    subscription because a concurrent purchase of the same plan committed first, that is the
    customer's own double click, not a failure: "You already have ...", and no alert."""
    customer = ready_customer()
    first_bought, commit_first = threading.Event(), threading.Event()
    outcome: list[str] = []

    def first() -> None:
        try:
            with transaction.atomic():
                buy(customer, plan)
                first_bought.set()
                commit_first.wait(30)
        finally:
            connection.close()

    def second() -> None:
        try:
            buy(customer, plan)
            outcome.append("bought")
        except Conflict as refused:
            outcome.append(refused.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_bought.wait(10)
    threads[1].start()  # its insert waits on the first one's uncommitted row
    wait_until(lambda: sessions_waiting_on_a_lock() >= 1, what="the second purchase to wait")
    commit_first.set()
    for thread in threads:
        thread.join(30)

    assert outcome == [f"You already have {plan.name}."]
    assert Subscription.objects.count() == 1
    assert not AdminAlert.objects.exists()


# --- Missing invoice ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_missing_invoice_pdf_cannot_be_rendered(
    settings, tmp_path, media, plan, smtp_mail, admin_user
):
    """The first invoice is issued and paid, but WeasyPrint cannot render its PDF, so the
    customer cannot receive it."""
    customer = ready_customer()
    client = client_of(customer.user)
    with invoice_restyle_weasyprint_cannot_render(settings, tmp_path / "templates"):
        buy(customer, plan)
        worker_pass()
        invoice = Invoice.objects.get(customer=customer)
        page = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]), follow=True)
        api = client.get(f"/api/v1/me/invoices/{invoice.pk}/pdf")
        relay()

    # 1. Asking for the PDF says it could not be prepared (page and API).
    assert "The document could not be prepared because of a problem on our side" in page_text(page)
    assert api.status_code == 503
    assert "could not be prepared" in api.json()["detail"]
    # 2. The follow-up's failure and the customer's failed download are alerted, the download
    # once however often it is asked for (page, then API);
    assert alerts("invoice_follow_up_failed").get().object_id == str(invoice.pk)
    assert alerts("invoice_pdf_failed").get().count == 1
    # 3. and audited.
    assert audited("failure.invoice_follow_up_failed", object_id=str(invoice.pk)) >= 1
    assert audited("failure.invoice_pdf_failed", object_id=str(invoice.pk)) == 1
    # 4. Paid once; no PDF half-stored; no notice queued without its attachment; still due.
    invoice.refresh_from_db()
    assert (invoice.status, invoice.pdf_path, invoice.issue_notified_at) == ("paid", "", None)
    assert invoice.followup_due
    assert invoice_pdfs(media) == []
    assert not Notification.objects.filter(kind="invoice_issued").exists()
    assert not mails_to(smtp_mail, customer.user.email, invoice.number)

    # The fault is gone (the stylesheet is fixed): the retry stores the PDF and the invoice
    # arrives once, with it attached; the card was charged once.
    worker_pass(later=True)
    worker_pass(later=True)
    relay()
    relay()
    [mail] = mails_to(smtp_mail, customer.user.email, f"Invoice {invoice.number}")
    [(filename, content_type, content)] = mail.attachments()
    assert (filename, content_type) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    assert len(invoice_pdfs(media)) == 1
    assert audited("invoice.notified", object_id=str(invoice.pk)) == 1
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert len(mails_to(smtp_mail, admin_user.email, "invoice_follow_up_failed")) == 1


@pytest.mark.django_db(transaction=True)
def test_missing_invoice_never_issued(settings, media, plan, smtp_mail, admin_user):
    """The database refuses new invoices: the first one is never issued, and the periodic
    missing-invoice check finds the subscription."""
    settings.BILLING_MISSING_INVOICE_GRACE_MINUTES = 0
    customer = ready_customer()
    client = client_of(customer.user)
    with database_refuses(Invoice, "1 = 1", name="fault_invoice"):
        subscription = buy(customer, plan)
        run_worker_in_process()  # the first invoice's task fails, and waits for its retry
        invoices_missing_task.enqueue()
        run_worker_in_process()
        home = client.get(reverse("accounts:home"))
        listing = client.get("/api/v1/me/invoices")

    # 1. The customer's account says the invoice is late, and that it is being seen to.
    assert "Your first invoice is late" in page_text(home)
    assert listing.status_code == 200 and listing.json() == []
    # 2. Alerted as a missing invoice, 3. and audited.
    alert = alerts("missing_invoice").get()
    assert (alert.object_id, alert.customer_id) == (str(subscription.pk), customer.pk)
    assert audited("alert.raised", object_id=str(subscription.pk), outcome="failure") >= 1
    assert audited("journey.step_failed", customer_id=customer.pk) == 1
    # 4. Nothing half-made: no invoice, line, payment or charge; the period did not move on.
    before = Subscription.objects.get(pk=subscription.pk)
    assert (before.next_invoice_at, before.current_period_start) == (
        subscription.next_invoice_at,
        None,
    )
    assert not InvoiceLine.objects.exists()
    assert not PaymentAttempt.objects.exists()
    assert not SandboxCharge.objects.exists()

    # The fault is gone: the retries issue one invoice, numbered as if nothing had happened,
    # charged once, and it arrives once.
    worker_pass(later=True)
    worker_pass(later=True)
    relay()
    relay()
    [invoice] = Invoice.objects.filter(subscription=subscription)
    assert (invoice.status, invoice.number_seq) == ("paid", 1)
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert len(mails_to(smtp_mail, customer.user.email, f"Invoice {invoice.number}")) == 1
    assert step_of(customer, Step.FIRST_INVOICE).state == StepState.DONE


@pytest.mark.django_db(transaction=True)
def test_missing_invoice_pdf_gone_from_storage(media, plan, smtp_mail, admin_user):
    """The invoice's stored PDF cannot be read (the documents volume is not mounted) when the
    relay attaches it to the invoice's email, and when the customer asks for it."""
    customer = ready_customer()
    client = client_of(customer.user)
    buy(customer, plan)
    worker_pass()
    invoice = Invoice.objects.get(customer=customer)
    assert invoice.pdf_path
    with documents_unmounted(media):
        relay()
        page = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]), follow=True)
        api = client.get(f"/api/v1/me/invoices/{invoice.pk}/pdf")
    notice = OutboxMessage.objects.get(notification__kind="invoice_issued")
    assert notice.status == OutboxStatus.RETRYING
    assert "No such file" in notice.last_error

    # 1. A clear message on the page and in the API, not a server error.
    assert page.status_code == 200
    assert "The document could not be prepared because of a problem on our side" in page_text(page)
    assert api.status_code == 503
    assert "could not be prepared" in api.json()["detail"]
    # 2. alerted, 3. audited.
    assert alerts("invoice_pdf_failed").get().count == 2
    assert audited("failure.invoice_pdf_failed", object_id=str(invoice.pk)) == 2
    # 4. The volume is back: the same document, unchanged, is served, and the invoice's email
    # goes out once, with it.
    again = client.get(f"/api/v1/me/invoices/{invoice.pk}/pdf")
    assert again.status_code == 200
    assert hashlib.sha256(b"".join(again.streaming_content)).hexdigest() == invoice.pdf_sha256
    relay(later=True)
    relay(later=True)
    [mail] = mails_to(smtp_mail, customer.user.email, f"Invoice {invoice.number}")
    [(_name, _type, content)] = mail.attachments()
    assert hashlib.sha256(content).hexdigest() == invoice.pdf_sha256
    assert_each_mail_once(smtp_mail)


# --- Payment incomplete ---------------------------------------------------------------------------


def first_invoice(customer, plan) -> Invoice:
    """Buy, and let the workers issue and charge the first invoice and send its notices."""
    buy(customer, plan)
    worker_pass()
    return Invoice.objects.get(customer=customer)


def pay_now(client: Client, invoice: Invoice):
    return client.post(reverse("billing:invoice_pay", args=[invoice.pk]), follow=True)


def receipts_of(server, invoice: Invoice) -> list:
    return mails_to(server, invoice.bill_to_email, f"Payment received for invoice {invoice.number}")


@pytest.mark.django_db(transaction=True)
def test_payment_incomplete_gateway_declines(media, plan, smtp_mail, admin_user):
    """The gateway declines the first invoice's charge, and the customer's own try after it."""
    customer = ready_customer()
    client = client_of(customer.user)
    call_command("sandbox_fault", "charge", "card_declined", "--times", "3")
    invoice = first_invoice(customer, plan)
    page = pay_now(client, invoice)
    api = client.post(f"/api/v1/me/invoices/{invoice.pk}/pay")
    worker_pass()
    relay()

    # 1. The invoice page and the API say why; the customer is also told by email.
    assert "The payment did not go through: Your card was declined." in page_text(page)
    assert api.status_code == 200
    assert (api.json()["payment_state"], api.json()["last_payment_message"]) == (
        "declined",
        "Your card was declined.",
    )
    [issued] = mails_to(smtp_mail, customer.user.email, f"Invoice {invoice.number}")
    assert "payment did not go through" in issued.subject
    # 2. An admin is alerted ("payment_incomplete"), 3. and every declined attempt is audited.
    alert = alerts("payment_incomplete").get()
    assert (alert.object_id, alert.customer_id) == (str(invoice.pk), customer.pk)
    assert audited("invoice.payment_failed", object_id=str(invoice.pk)) == 3
    assert audited("payment.declined", customer_id=customer.pk) == 3
    # 4. Nothing was charged; the invoice is open and payable again.
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_state) == ("open", "declined")
    assert not SandboxCharge.objects.filter(status="succeeded").exists()

    # The fault is gone: one more try pays it, charged once; a second click charges nothing.
    assert "is paid" in page_text(pay_now(client, invoice))
    assert "nothing to pay" in page_text(pay_now(client, invoice))
    worker_pass()
    relay()
    relay()
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert PaymentAttempt.objects.filter(status="succeeded").count() == 1
    assert len(receipts_of(smtp_mail, invoice)) == 1
    assert len(mails_to(smtp_mail, admin_user.email, "payment_incomplete")) == 1
    assert_each_mail_once(smtp_mail)


def reconcile_all() -> None:
    """The reconciler until it settles nothing more, each pass's settles delivered to billing by
    the relay (each charge that never reached the gateway is sent again as that commits)."""
    while payment_reconcile_unknown(now=timezone.now() + timedelta(minutes=10)):
        relay()


@pytest.mark.django_db(transaction=True)
def test_payment_never_received_is_sent_again_at_once(media, plan, smtp_mail, admin_user):
    """The gateway drops the first invoice's charge once: the reconciler finds it never arrived,
    and it is sent again at once, paid, with nothing told to the customer but the receipt."""
    customer = ready_customer()
    call_command("sandbox_fault", "charge", "timeout")
    invoice = first_invoice(customer, plan)

    reconcile_all()
    worker_pass()
    relay()

    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count) == ("paid", 2)
    assert audited("invoice.payment_resent", object_id=str(invoice.pk)) == 1
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert len(receipts_of(smtp_mail, invoice)) == 1
    assert not mails_to(smtp_mail, customer.user.email, "did not go through")
    assert not alerts("payment_incomplete").exists()
    assert_each_mail_once(smtp_mail)


@pytest.mark.django_db(transaction=True)
def test_payment_incomplete_gateway_times_out(media, plan, smtp_mail, admin_user, settings):
    """The gateway never answers the first invoice's charge, nor any of its resends; the
    reconciler finds none arrived, and after the last resend it is a failed payment."""
    customer = ready_customer()
    client = client_of(customer.user)
    tries = 1 + settings.BILLING_NOT_RECEIVED_RESENDS
    call_command("sandbox_fault", "charge", "timeout", "--times", str(tries))
    invoice = first_invoice(customer, plan)
    waiting = pay_now(client, invoice)
    api = client.post(f"/api/v1/me/invoices/{invoice.pk}/pay")

    # 1. While the outcome is unknown the customer is told so, and cannot pay twice.
    assert "Payment pending" in page_text(waiting)
    assert "already being processed. You will not be charged twice" in page_text(waiting)
    assert api.status_code == 409
    assert "already being processed" in api.json()["detail"]
    assert not alerts("payment_incomplete").exists()  # unknown is not failed

    # The reconciler asks the gateway, which never saw the charge nor its resends: it failed.
    reconcile_all()
    worker_pass()
    relay()
    page = page_text(client.get(reverse("billing:invoice", args=[invoice.pk])))
    assert "The last payment did not go through" in page
    assert "did not reach the payment provider; nothing was charged" in page
    # 2. alerted, 3. audited.
    alert = alerts("payment_incomplete").get()
    assert alert.object_id == str(invoice.pk)
    assert alerts("payment_not_received").get().object_id == str(invoice.pk)
    assert audited("payment.failed", customer_id=customer.pk) == tries
    assert audited("invoice.payment_resent", object_id=str(invoice.pk)) == tries - 1
    assert audited("invoice.payment_failed", object_id=str(invoice.pk)) == 1
    # 4. Nothing reached the gateway; the customer heard of the failure once.
    assert not SandboxCharge.objects.exists()
    assert len(mails_to(smtp_mail, customer.user.email, "did not go through")) == 1

    # The fault is gone: paying again is one charge and one receipt.
    assert "is paid" in page_text(pay_now(client, invoice))
    worker_pass()
    relay()
    relay()
    assert SandboxCharge.objects.filter(status="succeeded").count() == 1
    assert len(receipts_of(smtp_mail, invoice)) == 1
    assert_each_mail_once(smtp_mail)


@pytest.mark.django_db(transaction=True)
def test_payment_incomplete_answer_lost_and_gateway_unreachable(
    settings, media, plan, smtp_mail, admin_user
):
    """The gateway charges the first invoice but its answer is lost, and then it cannot be asked
    what happened: the outcome stays unknown until it can."""
    settings.PAYMENT_RECONCILE_MAX_TRIES = 2
    customer = ready_customer()
    client = client_of(customer.user)
    call_command("sandbox_fault", "charge", "timeout_after_charge")
    call_command("sandbox_fault", "lookup", "timeout", "--times", "2")
    invoice = first_invoice(customer, plan)
    now = timezone.now()
    for minutes in (10, 100):  # the reconciler's questions time out
        assert payment_reconcile_unknown(now=now + timedelta(minutes=minutes)) == 0
    waiting = pay_now(client, invoice)

    # 1. The customer is told the payment is being confirmed and cannot pay twice.
    assert "Payment pending" in page_text(waiting)
    assert "You will not be charged twice" in page_text(waiting)
    # 2. An admin is alerted that the outcome is still unknown, 3. and it is audited.
    attempt = PaymentAttempt.objects.get()
    alert = alerts("payment_unknown").get()
    assert (alert.object_id, alert.customer_id) == (str(attempt.pk), customer.pk)
    assert audited("payment.unknown", object_id=str(attempt.pk)) == 1
    assert audited("alert.raised", object_id=str(attempt.pk)) == 1

    # The gateway answers again: the charge it made is found, never made twice.
    assert payment_reconcile_unknown(now=now + timedelta(minutes=300)) == 1
    relay()  # payment.settled reaches billing
    worker_pass()
    relay()
    relay()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_attempt_id) == ("paid", attempt.pk)
    assert SandboxCharge.objects.count() == 1
    assert len(receipts_of(smtp_mail, invoice)) == 1
    assert not alerts("payment_incomplete").exists()  # it was not incomplete after all
    assert len(mails_to(smtp_mail, admin_user.email, "payment_unknown")) == 1
    assert_each_mail_once(smtp_mail)


# --- Contract incomplete --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_contract_incomplete(settings, tmp_path, media, plan, smtp_mail, admin_user):
    """The contract's PDF cannot be stored; once it can, the mail server is down at delivery."""
    customer = ready_customer()
    client = client_of(customer.user)
    subscription = subscribe(customer.user, plan)  # paid: its contract is due
    with storage_unwritable(settings, tmp_path):
        task_enqueue_once(
            contract_issue_for_subscription_task,
            key=issue_task_key(subscription.pk),
            kwargs={"subscription_id": subscription.pk},
        )
        run_worker_in_process()  # issued and numbered; its PDF fails and waits for a retry
    contract = Contract.objects.get(subscription=subscription)
    detail = page_text(client.get(reverse("contracts:detail", args=[contract.pk])))
    home = page_text(client.get(reverse("accounts:home")))
    api = client.get(f"/api/v1/me/contracts/{contract.pk}/pdf")

    # 1. The contract shows as pending, never a broken link; the account says it is incomplete.
    assert "Pending" in detail and "being prepared" in detail
    assert reverse("contracts:pdf", args=[contract.pk, 1]) not in detail
    assert "Contract incomplete: we are preparing it again and our team has been told." in home
    assert (api.status_code, api.json()["code"]) == (409, "pending")
    # 2. An admin is alerted, 3. and the failure is audited.
    alert = alerts("contract_incomplete").get()
    assert (alert.object_id, alert.customer_id) == (str(contract.pk), customer.pk)
    assert audited("failure.contract_incomplete", object_id=str(contract.pk)) == 1
    # 4. Nothing half-made: no document row, no file, nothing sent about it.
    assert contract.state == ContractState.ISSUED
    assert not ContractDocument.objects.exists()
    assert not list(media.rglob("*.pdf"))
    assert not Notification.objects.filter(kind__startswith="contract").exists()

    # The storage is back, but the mail server is down when the contract is delivered.
    with smtp_stopped(smtp_mail):
        worker_pass(later=True)
        relay()
        contract.refresh_from_db()
        assert contract.state == ContractState.SENT
        waiting = OutboxMessage.objects.filter(notification__kind__startswith="contract")
        assert set(waiting.values_list("status", flat=True)) == {OutboxStatus.RETRYING}
    relay(later=True)
    relay(later=True)

    # Each contract mail arrives exactly once, the PDF the one stored.
    email = customer.user.email
    assert len(mails_to(smtp_mail, email, f"Your support contract {contract.number} is ready")) == 1
    [mail] = mails_to(smtp_mail, email, f"Your support contract {contract.number} (PDF)")
    [(_name, _type, content)] = mail.attachments()
    assert hashlib.sha256(content).hexdigest() == ContractDocument.objects.get().sha256
    assert len(mails_to(smtp_mail, admin_user.email, "contract_incomplete")) == 1
    step = step_of(customer, Step.CONTRACT)
    assert (step.state, step.failure_reason) == (StepState.DONE, "")
    assert_each_mail_once(smtp_mail)


# --- Customer unknown to SysOps -------------------------------------------------------------------


@pytest.mark.django_db
def test_customer_unknown_to_sysops(smtp_mail, sysops_client, admin_user):
    """A customer's sign-up failed on the database, so SysOps do not know them when they call;
    the admins' mail server is down meanwhile."""
    email = SIGN_UP["email"]
    client = Client(raise_request_exception=False)
    with smtp_stopped(smtp_mail):
        with database_refuses(Customer, "1 = 1", name="fault_customer"):
            assert sign_up(client).status_code == 500
        page = sysops_client.get(reverse("sysops:customer_search"), {"q": email})
        api = sysops_client.get("/api/v1/staff/customers/lookup", {"email": email})
        relay()

    # 1. SysOps are told, in words, that nobody with that address is known.
    assert page.status_code == 404
    assert f"No customer with email {email} is known to SysOps" in page_text(page)
    assert api.status_code == 404
    assert api.json()["code"] == "customer_unknown"
    assert "An admin has been told" in api.json()["detail"]
    # 2. One alert for that address, counted twice; 3. audited each time.
    alert = alerts("customer_unknown").get()
    assert (alert.object_id, alert.count) == (f"email:{email}", 2)
    assert audited("alert.raised", object_type="accounts.customer", object_id=f"email:{email}") == 2

    # The fault is gone: the customer signs up, SysOps find them, nobody is alerted again.
    assert sign_up(client).status_code == 302
    customer = Customer.objects.get(user__email=email)
    found = sysops_client.get("/api/v1/staff/customers/lookup", {"email": email})
    assert (found.status_code, found.json()["id"]) == (200, customer.pk)
    overview = sysops_client.get(reverse("sysops:customer", args=[customer.pk]))
    assert overview.status_code == 200
    assert email in page_text(overview)
    alert.refresh_from_db()
    assert alert.count == 2
    # The admins' mail waited for the server, and arrives once.
    relay(later=True)
    relay(later=True)
    assert len(mails_to(smtp_mail, admin_user.email, "customer_unknown")) == 1
    assert len(mails_to(smtp_mail, admin_user.email, "account_unavailable")) == 1
    assert len(mails_to(smtp_mail, email)) == 1  # the address verification
    assert_each_mail_once(smtp_mail)


@pytest.mark.django_db(transaction=True)
def test_customer_profile_unavailable_to_sysops_on_a_database_error(customer, sysops):
    """The full customer view cannot be put together: a table it reads is gone."""
    client = Client(raise_request_exception=False)
    client.force_login(sysops)
    with table_gone(Contract):
        page = client.get(reverse("sysops:customer", args=[customer.customer.pk]))
        api = client.get(f"/api/v1/staff/customers/{customer.customer.pk}/overview")

    # 1. The error page and the API both give a reference to quote.
    assert page.status_code == 500
    assert SERVER_ERROR_TEXT in page_text(page)
    assert page["X-Request-ID"] in page_text(page)
    assert api.status_code == 500
    assert api.json() == {
        "detail": "Something went wrong on our side.",
        "code": "server_error",
        "reference": api["X-Request-ID"],
    }
    # 2. alerted (one alert, counted twice), 3. audited, with the staff member who asked.
    alert = alerts("unhandled_error").get()
    assert alert.count == 2
    assert "staff/customers" in alert.message
    assert audited("failure.unhandled_error", actor=sysops) == 2
    # 4. The table is back: the full view answers, and nothing new is alerted.
    assert client.get(reverse("sysops:customer", args=[customer.customer.pk])).status_code == 200
    assert client.get(f"/api/v1/staff/customers/{customer.customer.pk}/overview").status_code == 200
    assert AdminAlert.objects.count() == 1


@pytest.mark.django_db
def test_customer_unknown_to_sysops_never_for_an_account_an_admin_opened(
    admin_client_2fa, sysops_client
):
    """A customer account an admin opens in the Django admin (a customer who phoned in) gets
    its customer record as a sign-up does: SysOps know it, and the customer's pages work."""
    email = "phoned.in@example.com"
    response = admin_client_2fa.post(
        "/admin/accounts/user/add/",
        {
            "email": email,
            "role": "customer",
            "preferred_inbox": "email",
            "usable_password": "true",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302

    found = sysops_client.get("/api/v1/staff/customers/lookup", {"email": email})
    assert found.status_code == 200
    assert not alerts("customer_unknown").exists()
    customer = Customer.objects.get(user__email=email)
    assert audited("customer.created", customer_id=customer.pk) == 1
    assert client_of(customer.user).get(reverse("accounts:home")).status_code == 200
