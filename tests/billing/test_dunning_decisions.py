"""Service-aware dunning (issue 17): a failed renewal of a customer whose service is in trouble
waits for a manager instead of going past due, and the manager decides (past due now, or more
days and one more retry) from the staff pages or the API."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.dunning import hard_declines_give_up, invoice_retries_run
from onboarding.billing.dunning_decisions import invoice_dunning_decide
from onboarding.billing.dunning_holds import dunning_hold_lift
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import (
    Invoice,
    InvoiceStatus,
    RetryStop,
    SubscriptionStatus,
)
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.notifications.models import Channel, Notification
from tests.billing.conftest import DECLINING_CARD, bought, ready_customer, utc
from tests.factories import DEFAULT_PASSWORD
from tests.payments.helpers import card_on_file
from tests.sysops.conftest import open_request

pytestmark = pytest.mark.django_db

LOST_CARD = "4000000000009987"


def _renewal(customer, plan, card: str) -> Invoice:
    """A monthly subscription paid on 15 February 2030, whose renewal on 15 March fails on
    `card`."""
    subscription = bought(ready_customer(customer), plan, anchor=utc(2030, 2, 15, 10, 0))
    bill_run_execute(run_date=date(2030, 2, 15))
    card_on_file(customer.customer, card, password=DEFAULT_PASSWORD)
    bill_run_execute(run_date=date(2030, 3, 15))
    invoice = Invoice.objects.select_related("subscription").get(
        subscription=subscription, is_first=False
    )
    assert invoice.status == InvoiceStatus.OPEN and invoice.first_failed_at is not None
    return invoice


@pytest.fixture
def renewal(customer, plan, settings) -> Invoice:
    settings.BILLING_DUNNING_DAYS = [1]
    return _renewal(customer, plan, DECLINING_CARD)


def _exhaust(invoice: Invoice) -> Invoice:
    """Run dunning's last retry (the schedule is one day long); returns the invoice after it."""
    invoice_retries_run(now=invoice.first_failed_at + timedelta(days=1, minutes=1))
    invoice.refresh_from_db()
    invoice.subscription.refresh_from_db()
    return invoice


@pytest.fixture
def held(renewal, manager) -> Invoice:
    """The renewal, its schedule over while a critical request is open: waiting for a manager."""
    open_request(renewal.subscription, severity="critical")
    return _exhaust(renewal)


# --- Dunning meets a hold ----------------------------------------------------------------------


def test_a_failed_renewal_with_a_hold_stays_open_and_waits_for_a_manager(held):
    assert held.status == InvoiceStatus.OPEN
    assert (held.retry_stopped, held.next_retry_at) == (RetryStop.MANAGER_DECISION, None)
    assert held.subscription.status == SubscriptionStatus.ACTIVE
    entry = AuditEntry.objects.get(action="invoice.dunning_held")
    assert entry.object_id == str(held.pk)
    assert "open critical request REQ-" in entry.message
    assert not AuditEntry.objects.filter(
        action__in=["invoice.uncollectible", "subscription.past_due"]
    )


def test_every_manager_is_asked_in_app_and_by_email(held, manager):
    notice = Notification.objects.get(kind="dunning_decision")
    assert notice.recipient_id == manager.pk
    assert sorted(notice.channels) == sorted([Channel.IN_APP, Channel.EMAIL])
    assert held.number in notice.subject
    assert "open critical request REQ-" in notice.body_text
    assert f"/staff/invoices/{held.pk}/" in notice.body_text


def test_the_payment_incomplete_alert_says_a_manager_decides(held):
    invoice_follow_up(invoice_id=held.pk)
    alert = AdminAlert.objects.get(reason="payment_incomplete", object_id=str(held.pk))
    assert "a manager decides" in alert.message


def test_with_no_manager_to_ask_an_admin_is_alerted(renewal):
    open_request(renewal.subscription, severity="high")
    invoice = _exhaust(renewal)
    assert invoice.retry_stopped == RetryStop.MANAGER_DECISION
    alert = AdminAlert.objects.get(reason="dunning_no_manager")
    assert alert.object_id == str(invoice.pk)
    assert not Notification.objects.filter(kind="dunning_decision").exists()


def test_without_a_hold_the_renewal_goes_past_due_as_before(renewal, manager):
    open_request(renewal.subscription, severity="normal")
    invoice = _exhaust(renewal)
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert invoice.subscription.status == SubscriptionStatus.PAST_DUE
    assert not Notification.objects.filter(kind="dunning_decision").exists()


def test_lifting_the_last_hold_does_not_escalate_the_held_invoice(held, sysops):
    dunning_hold_lift(
        customer_id=held.customer_id,
        source="request",
        reference=held.customer.service_requests.get().pk,
        because="closed",
    )
    held.refresh_from_db()
    assert (held.status, held.retry_stopped) == (InvoiceStatus.OPEN, RetryStop.MANAGER_DECISION)


def test_a_hard_declined_renewal_with_a_hold_waits_too(customer, plan, manager, settings):
    settings.BILLING_DUNNING_DAYS = [1]
    invoice = _renewal(customer, plan, LOST_CARD)
    assert invoice.retry_stopped == RetryStop.HARD_DECLINE
    open_request(invoice.subscription, severity="critical")

    assert hard_declines_give_up(now=invoice.first_failed_at + timedelta(days=1, minutes=1)) == 0

    invoice.refresh_from_db()
    assert (invoice.status, invoice.retry_stopped) == (
        InvoiceStatus.OPEN,
        RetryStop.MANAGER_DECISION,
    )
    assert AuditEntry.objects.filter(action="invoice.dunning_held").count() == 1
    assert Notification.objects.filter(kind="dunning_decision").count() == 1


# --- The manager decides -----------------------------------------------------------------------


def test_past_due_makes_the_invoice_uncollectible_and_the_subscription_past_due(held, manager):
    invoice_dunning_decide(invoice=held, decision="past_due", actor=manager)

    held.refresh_from_db()
    held.subscription.refresh_from_db()
    assert (held.status, held.retry_stopped) == (InvoiceStatus.UNCOLLECTIBLE, RetryStop.NONE)
    assert held.subscription.status == SubscriptionStatus.PAST_DUE
    decided = AuditEntry.objects.get(action="invoice.dunning_decided")
    assert (decided.actor_id, decided.changes["decision"]) == (manager.pk, "past_due")
    assert "manager decided" in AuditEntry.objects.get(action="invoice.uncollectible").message


def test_extend_books_one_more_retry_and_a_still_held_failure_asks_again(held, manager):
    before = timezone.now()
    invoice_dunning_decide(invoice=held, decision="extend", days=5, actor=manager)

    held.refresh_from_db()
    assert held.retry_stopped == RetryStop.NONE and held.status == InvoiceStatus.OPEN
    assert before + timedelta(days=5) <= held.next_retry_at <= timezone.now() + timedelta(days=5)
    decided = AuditEntry.objects.get(action="invoice.dunning_decided")
    assert decided.changes["days"] == 5

    invoice_retries_run(now=held.next_retry_at + timedelta(minutes=1))  # declined again
    held.refresh_from_db()
    assert (held.status, held.retry_stopped) == (InvoiceStatus.OPEN, RetryStop.MANAGER_DECISION)
    assert Notification.objects.filter(kind="dunning_decision").count() == 2


def test_an_extension_that_fails_after_the_hold_ended_goes_past_due(held, manager, sysops):
    invoice_dunning_decide(invoice=held, decision="extend", days=2, actor=manager)
    request = held.customer.service_requests.get()
    dunning_hold_lift(
        customer_id=held.customer_id, source="request", reference=request.pk, because="x"
    )
    held.refresh_from_db()

    invoice_retries_run(now=held.next_retry_at + timedelta(minutes=1))

    held.refresh_from_db()
    held.subscription.refresh_from_db()
    assert held.status == InvoiceStatus.UNCOLLECTIBLE
    assert held.subscription.status == SubscriptionStatus.PAST_DUE


@pytest.mark.parametrize("days", [0, 31, None, "soon"])
def test_extend_refuses_days_outside_1_to_30_on_the_days_field(held, manager, days):
    with pytest.raises(DomainError) as refused:
        invoice_dunning_decide(invoice=held, decision="extend", days=days, actor=manager)
    assert refused.value.field == "days"
    held.refresh_from_db()
    assert held.retry_stopped == RetryStop.MANAGER_DECISION


def test_an_unknown_decision_is_refused_on_its_field(held, manager):
    with pytest.raises(DomainError) as refused:
        invoice_dunning_decide(invoice=held, decision="forgive", actor=manager)
    assert refused.value.field == "decision"


def test_sysops_cannot_decide(held, sysops):
    with pytest.raises(Forbidden):
        invoice_dunning_decide(invoice=held, decision="past_due", actor=sysops)
    held.refresh_from_db()
    assert held.status == InvoiceStatus.OPEN
    assert not AuditEntry.objects.filter(action="invoice.dunning_decided").exists()


def test_an_invoice_that_waits_for_no_decision_is_refused(renewal, manager):
    with pytest.raises(Conflict, match="not waiting for a dunning decision"):
        invoice_dunning_decide(invoice=renewal, decision="past_due", actor=manager)
    renewal.refresh_from_db()
    assert renewal.status == InvoiceStatus.OPEN


def test_a_decision_is_taken_once(held, manager, admin_user):
    invoice_dunning_decide(invoice=held, decision="extend", days=3, actor=manager)
    with pytest.raises(Conflict):
        invoice_dunning_decide(invoice=held, decision="past_due", actor=admin_user)


# --- Pages ---------------------------------------------------------------------------------------


def test_the_invoice_page_offers_the_decision_and_says_what_was_done(held, manager_client):
    url = f"/staff/invoices/{held.pk}/"
    page = manager_client.get(url).content.decode()
    assert "Dunning decision" in page and 'name="days"' in page

    answer = manager_client.post(
        f"{url}dunning-decision/", {"decision": "extend", "days": "7"}, follow=True
    )

    assert answer.redirect_chain[-1][0] == url
    body = answer.content.decode()
    assert f"Invoice {held.number}: 7 more days" in body
    held.refresh_from_db()
    assert held.retry_stopped == RetryStop.NONE


def test_bad_days_on_the_page_are_a_field_error(held, manager_client):
    answer = manager_client.post(
        f"/staff/invoices/{held.pk}/dunning-decision/", {"decision": "extend", "days": "45"}
    )
    assert answer.status_code == 422
    assert 'id="id_days_error"' in answer.content.decode()
    held.refresh_from_db()
    assert held.retry_stopped == RetryStop.MANAGER_DECISION


def test_sysops_are_told_on_the_page_that_a_manager_decides(held, sysops_client):
    answer = sysops_client.post(
        f"/staff/invoices/{held.pk}/dunning-decision/", {"decision": "past_due"}
    )
    assert answer.status_code == 422
    assert "Only a manager (or an admin)" in answer.content.decode()
    held.refresh_from_db()
    assert held.status == InvoiceStatus.OPEN


def test_the_customer_view_shows_the_hold_and_decides_from_there(held, manager_client):
    url = f"/staff/customers/{held.customer_id}/"
    page = manager_client.get(url).content.decode()
    assert "Dunning on hold" in page
    assert "Open critical request REQ-" in strip_tags(page)
    assert f'data-invoice="{held.number}"' in page

    answer = manager_client.post(
        f"/staff/invoices/{held.pk}/dunning-decision/",
        {"decision": "past_due", "next": url},
        follow=True,
    )

    assert answer.redirect_chain[-1][0] == url
    assert f"Invoice {held.number} is uncollectible" in answer.content.decode()


# --- API ---------------------------------------------------------------------------------------


def _decide(client, invoice, **body):
    return client.post(
        f"/api/v1/staff/invoices/{invoice.pk}/dunning-decision",
        body,
        content_type="application/json",
    )


def test_the_api_decides_for_a_manager(held, manager_client):
    answer = _decide(manager_client, held, decision="extend", days=4)
    assert answer.status_code == 200
    assert (answer.json()["retry_stopped"], answer.json()["status"]) == ("", "open")
    assert AuditEntry.objects.filter(action="invoice.dunning_decided").count() == 1


def test_the_api_refuses_clearly(held, manager_client, sysops_client, renewal):
    bad_days = _decide(manager_client, held, decision="extend", days=31)
    assert (bad_days.status_code, bad_days.json()["field"]) == (400, "days")
    assert _decide(sysops_client, held, decision="past_due").status_code == 403
    paid_first = Invoice.objects.get(subscription=held.subscription, is_first=True)
    not_held = _decide(manager_client, paid_first, decision="past_due")
    assert not_held.status_code == 409
    assert "not waiting for a dunning decision" in not_held.json()["detail"]
