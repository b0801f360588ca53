"""Service credits for SLA breaches: a breached request clock proposes the credit its plan's terms
give (once per clock, within the plan's cap per invoice), managers are told, and a manager
approves it (a credit note and a refund through the sandbox gateway) or declines it with a
reason. A refund the provider refuses fails the proposal, tells the manager and alerts an admin.

The worked example of docs/sla.md ("Service credits"): 99.00 EUR a month, tax 20% (a customer in
GB), its first invoice 118.80 EUR paid; the plan's terms 10% per breached clock, capped at 15%
of an invoice. The first response breach earns 9.90 + 1.98 tax = 11.88 EUR; the resolution
breach then earns what the cap leaves, 17.82 - 11.88 = 5.94 EUR."""

import pytest
from django.urls import reverse

from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry, Outcome
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import CreditNote, CreditNoteStatus, Invoice
from onboarding.billing.services import invoice_refund
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.money import Money
from onboarding.notifications.models import Notification, OutboxMessage
from onboarding.notifications.relay import relay_drain
from onboarding.payments.models import SandboxRefund
from onboarding.sla.models import ClockKind, ServiceCreditCap, SlaPolicy
from onboarding.sla.watch import SLA_CLOCK_BREACHED_TOPIC
from onboarding.sysops.models import ServiceCredit
from onboarding.sysops.service_credits import service_credit_approve, service_credit_decline
from onboarding.sysops.sla_alerts import sla_clock_breached
from tests.concurrency import run_together
from tests.factories import staff_user
from tests.sysops.conftest import open_request, subscribe, today
from tests.sysops.sla_terms import breach, clock_of, credit_terms, plan_with_sla_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(db):
    plan = plan_with_sla_terms()
    credit_terms(plan)
    return plan


@pytest.fixture
def subscription(customer, plan):
    return subscribe(customer, plan)


@pytest.fixture
def paid(subscription) -> Invoice:
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.get(subscription=subscription)
    assert (invoice.status, invoice.total_minor, invoice.tax_rate_bp) == ("paid", 11880, 2000)
    return invoice


@pytest.fixture
def proposed(paid, subscription, manager) -> ServiceCredit:
    request = open_request(subscription)
    breach(request)
    return ServiceCredit.objects.get()


def test_a_breach_proposes_the_plans_credit_with_the_invoices_tax_and_tells_managers(
    paid, subscription, manager, sysops
):
    request = open_request(subscription)
    breach(request)
    credit = ServiceCredit.objects.get()
    assert (credit.request, credit.clock, credit.invoice) == (request, clock_of(request), paid)
    assert (credit.percent, credit.base, credit.amount) == (
        10,
        Money(9900, "EUR"),
        Money(1188, "EUR"),
    )
    assert credit.status == "proposed"
    notice = Notification.objects.get(kind="service_credit.proposed")
    assert notice.recipient == manager
    assert reverse("sysops:service_credit", args=[credit.pk]) in notice.body_text
    assert "11.88 EUR" in notice.body_text
    entry = AuditEntry.objects.get(action="service_credit.proposed")
    assert entry.changes["amount"] == "11.88 EUR"


def test_a_breach_message_delivered_twice_proposes_once(paid, subscription, manager):
    request = open_request(subscription)
    breach(request, deliver=False)
    message = OutboxMessage.objects.get(topic=SLA_CLOCK_BREACHED_TOPIC)
    sla_clock_breached(message, None)
    sla_clock_breached(message, None)
    relay_drain(worker_id="service-credit-test")  # and the relay's own delivery: a third
    assert ServiceCredit.objects.count() == 1
    assert Notification.objects.filter(kind="service_credit.proposed").count() == 1
    assert AuditEntry.objects.filter(action="service_credit.proposed").count() == 1


def test_the_second_breach_of_a_period_gets_what_the_plans_cap_leaves(paid, subscription):
    request = open_request(subscription)
    breach(request, ClockKind.RESOLUTION)  # the first response is past its deadline too
    amounts = dict(ServiceCredit.objects.values_list("clock__kind", "amount_minor"))
    # 15% of 118.80 is 17.82: 11.88 for the first clock, the 5.94 left for the second.
    assert amounts == {"first_response": 1188, "resolution": 594}


def test_terms_of_zero_propose_nothing_and_the_breach_is_still_told(
    paid, subscription, plan, sysops
):
    SlaPolicy.objects.filter(plan=plan).update(breach_credit_percent=0)
    breach(open_request(subscription))
    assert not ServiceCredit.objects.exists()
    assert Notification.objects.filter(kind="service_request.sla_breached").exists()


def test_a_cap_already_used_up_proposes_nothing(paid, subscription, plan):
    ServiceCreditCap.objects.filter(plan=plan).update(percent_of_invoice=0)
    breach(open_request(subscription))
    assert not ServiceCredit.objects.exists()


def test_approval_issues_a_credit_note_and_refunds_the_card(proposed, paid, manager):
    credit = service_credit_approve(credit=proposed, actor=manager)
    assert (credit.status, credit.decided_by) == ("approved", manager)
    note = credit.credit_note
    assert (note.status, note.total_minor, note.invoice) == (CreditNoteStatus.ISSUED, 1188, paid)
    assert note.reason.startswith(f"Service credit {credit.reference}:")
    assert SandboxRefund.objects.get().amount_minor == 1188
    paid.refresh_from_db()
    assert paid.credited_minor == 1188
    entry = AuditEntry.objects.get(action="service_credit.approved")
    assert (entry.actor_email, entry.changes["credit_note"]) == (manager.email, note.number)
    with pytest.raises(Conflict, match="approved already"):
        service_credit_approve(credit=credit, actor=manager)
    assert SandboxRefund.objects.count() == 1


def test_an_approval_repeated_after_a_crash_links_the_credit_note_and_pays_once(
    proposed, paid, manager
):
    # As if an approval sent the refund and died before recording it on the proposal.
    invoice_refund(
        invoice=paid,
        actor=manager,
        amount=proposed.amount,
        reason=f"Service credit {proposed.reference}: crashed before recording",
    )
    credit = service_credit_approve(credit=proposed, actor=manager)
    assert credit.status == "approved"
    assert credit.credit_note == CreditNote.objects.get()
    assert SandboxRefund.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_at_once_pay_the_credit_once(require_postgres, proposed, manager):
    managers = [manager, staff_user(role="manager")]

    def approve(index):
        try:
            return service_credit_approve(credit=proposed, actor=managers[index]).status
        except Conflict as refused:
            return refused.message

    outcomes = run_together(2, approve)
    assert outcomes.count("approved") == 1, outcomes
    assert SandboxRefund.objects.count() == 1
    assert CreditNote.objects.get().total_minor == 1188


def test_declining_needs_a_reason_and_is_audited(proposed, manager):
    with pytest.raises(DomainError) as refused:
        service_credit_decline(credit=proposed, actor=manager, reason="  ")
    assert refused.value.field == "reason"
    proposed.refresh_from_db()
    assert proposed.status == "proposed"
    credit = service_credit_decline(
        credit=proposed, actor=manager, reason="Customer asked us to wait"
    )
    assert (credit.status, credit.decline_reason) == ("declined", "Customer asked us to wait")
    entry = AuditEntry.objects.get(action="service_credit.declined")
    assert (entry.actor_email, entry.message) == (manager.email, "Customer asked us to wait")
    assert not SandboxRefund.objects.exists()


def _approved_with_the_refund_refused(manager_client, proposed, paid):
    """A manager approves while the provider knows no such charge: it refuses the refund."""
    attempt = paid.paid_attempt
    attempt.gateway_charge_id = "ch_sbx_unknown"
    attempt.save(update_fields=["gateway_charge_id"])
    return manager_client.post(
        reverse("sysops:service_credit_approve", args=[proposed.pk]), {"confirm": "on"}
    )


def test_a_refund_the_provider_refuses_fails_the_credit_tells_the_manager_and_an_admin(
    proposed, paid, manager, manager_client
):
    attempt = paid.paid_attempt
    real_charge = attempt.gateway_charge_id
    response = _approved_with_the_refund_refused(manager_client, proposed, paid)
    assert response.status_code == 422
    assert "The service credit was not issued" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == "failed"
    assert "refused" in proposed.failure_reason
    assert proposed.credit_note is None
    assert not CreditNote.objects.filter(status=CreditNoteStatus.ISSUED).exists()
    paid.refresh_from_db()
    assert paid.credited_minor == 0
    alert = AdminAlert.objects.get(reason="service_credit_failed")
    assert proposed.reference in alert.message
    assert AuditEntry.objects.filter(
        action="service_credit.failed", outcome=Outcome.FAILURE
    ).exists()
    # Put right: a manager approves the failed proposal again, and it is issued.
    attempt.gateway_charge_id = real_charge
    attempt.save(update_fields=["gateway_charge_id"])
    credit = service_credit_approve(credit=proposed, actor=manager)
    assert (credit.status, credit.credit_note.total_minor) == ("approved", 1188)
    alert.refresh_from_db()
    assert alert.resolved_at is not None  # answered by the approval that went through


def test_nothing_left_to_credit_fails_the_approval_with_the_reason(proposed, paid, manager):
    invoice_refund(invoice=paid, actor=manager, reason="Refunded in full first")
    with pytest.raises(DomainError, match=r"At most 0\.00 EUR is left"):
        service_credit_approve(credit=proposed, actor=manager)
    proposed.refresh_from_db()
    assert proposed.status == "failed"
    assert AdminAlert.objects.filter(reason="service_credit_failed").exists()


def test_without_a_paid_invoice_the_proposal_says_so_and_cannot_be_approved_yet(
    subscription, manager
):
    breach(open_request(subscription))
    credit = ServiceCredit.objects.get()
    assert (credit.invoice, credit.amount) == (None, Money(990, "EUR"))  # no tax known yet
    with pytest.raises(Conflict, match="cannot be issued yet"):
        service_credit_approve(credit=credit, actor=manager)
    credit.refresh_from_db()
    assert credit.status == "proposed"
    # Once the invoice is paid, approving prices it there first (with its tax), then issues it.
    bill_run_execute(run_date=today())
    with pytest.raises(Conflict, match=r"11\.88 EUR on invoice"):
        service_credit_approve(credit=credit, actor=manager)
    credit = service_credit_approve(credit=credit, actor=manager)
    assert (credit.status, credit.credit_note.total_minor) == ("approved", 1188)


def test_only_managers_and_admins_decide(proposed, sysops, admin_user):
    with pytest.raises(Forbidden):
        service_credit_approve(credit=proposed, actor=sysops)
    with pytest.raises(Forbidden):
        service_credit_decline(credit=proposed, actor=sysops, reason="Not deserved")
    with pytest.raises(Forbidden):
        service_credit_approve(credit=proposed, actor=proposed.customer.user)
    proposed.refresh_from_db()
    assert proposed.status == "proposed"
    assert service_credit_decline(credit=proposed, actor=admin_user, reason="Duplicate").status == (
        "declined"
    )


def test_the_pages_are_for_managers_and_admins(proposed, sysops_client, manager_client):
    url = reverse("sysops:service_credit", args=[proposed.pk])
    assert sysops_client.get(url).status_code == 403
    assert sysops_client.post(f"{url}approve", {"confirm": "on"}).status_code == 403
    page = manager_client.get(reverse("sysops:service_credits")).content.decode()
    assert proposed.reference in page and "11.88 EUR" in page
    assert "Approve 11.88 EUR" in manager_client.get(url).content.decode()


def test_the_decline_form_shows_a_field_error_and_changes_nothing(proposed, manager_client):
    url = reverse("sysops:service_credit_decline", args=[proposed.pk])
    response = manager_client.post(url, {"reason": ""})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == "proposed"
    response = manager_client.post(url, {"reason": "Goodwill already given"})
    assert response.status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == "declined"


def test_the_staff_request_page_links_its_pending_credit(proposed, sysops_client):
    page = sysops_client.get(reverse("sysops:request_detail", args=[proposed.request_id]))
    body = page.content.decode()
    assert reverse("sysops:service_credit", args=[proposed.pk]) in body
    assert "a manager decides" in body


def test_a_german_managers_failed_approval_is_told_in_german_and_recorded_in_english(
    proposed, paid, manager, manager_client
):
    manager.staff_language = "de"
    manager.save(update_fields=["staff_language"])
    response = _approved_with_the_refund_refused(manager_client, proposed, paid)
    assert response.status_code == 422
    assert "Die Service-Gutschrift wurde nicht ausgestellt" in response.content.decode()
    proposed.refresh_from_db()
    assert "refused" in proposed.failure_reason  # the record, the alert and the log: English
    alert = AdminAlert.objects.get(reason="service_credit_failed")
    assert "refused" in alert.message
