"""The staff API for service credits (/api/v1/staff/service-credits), the staff navigation's
count of proposals awaiting a decision, and an approval whose credit note billing cancelled
later (no answer from the provider, then its re-send refused): told as such on the page and in
the API, and approved again exactly once.

The terms are test_service_credits.py's worked example: a first response breach proposes
11.88 EUR on the paid invoice of 118.80 EUR."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from config.staff_counts import staff_counts_refresh
from onboarding.accounts.models import Customer, TestClock
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import CreditNote, CreditNoteStatus, Invoice
from onboarding.billing.refunds import _reserve, credit_notes_draft_resume
from onboarding.core.errors import Conflict
from onboarding.payments.models import SandboxRefund
from onboarding.sysops.credit_selectors import service_credit_awaiting_count
from onboarding.sysops.models import ServiceCredit
from onboarding.sysops.service_credits import credit_note_reason, service_credit_approve
from tests.concurrency import run_together
from tests.factories import staff_user
from tests.sysops.conftest import open_request, subscribe, today
from tests.sysops.sla_terms import breach, credit_terms, plan_with_sla_terms

pytestmark = pytest.mark.django_db

API = "/api/v1/staff/service-credits"


@pytest.fixture
def subscription(customer):
    plan = plan_with_sla_terms()
    credit_terms(plan)
    return subscribe(customer, plan)


@pytest.fixture
def paid(subscription) -> Invoice:
    bill_run_execute(run_date=today())
    return Invoice.objects.get(subscription=subscription, status="paid")


@pytest.fixture
def proposed(paid, subscription) -> ServiceCredit:
    breach(open_request(subscription))
    return ServiceCredit.objects.get()


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_the_list_gives_each_credit_with_its_money_request_and_invoice(proposed, manager_client):
    page = manager_client.get(API).json()
    assert page["count"] == 1
    [item] = page["items"]
    assert item["id"] == proposed.pk
    assert (item["reference"], item["status"], item["state_display"]) == (
        proposed.reference,
        "proposed",
        "Proposed",
    )
    assert item["amount"] == {"amount_minor": 1188, "currency": "EUR", "display": "11.88 EUR"}
    assert (item["base"]["amount_minor"], item["percent"]) == (9900, 10)
    assert (item["request_reference"], item["clock_kind"]) == (
        proposed.request.reference,
        "first_response",
    )
    assert item["invoice_number"] == proposed.invoice.number
    assert (item["awaiting_decision"], item["refund_state"], item["credit_note"]) == (
        True,
        "",
        None,
    )
    assert manager_client.get(f"{API}/{proposed.pk}").json() == item


def test_the_list_filters_by_state_and_pages_with_limit_and_offset(
    proposed, subscription, manager, manager_client
):
    breach(open_request(subscription, summary="A second one"))  # proposes 5.94 (the cap)
    service_credit_approve(credit=proposed, actor=manager)
    assert manager_client.get(f"{API}?state=approved").json()["count"] == 1
    waiting = manager_client.get(f"{API}?state=pending").json()
    assert [c["amount"]["amount_minor"] for c in waiting["items"]] == [594]
    first = manager_client.get(f"{API}?limit=1").json()
    assert (first["count"], first["items"][0]["status"]) == (2, "proposed")  # waiting first
    assert manager_client.get(f"{API}?limit=1&offset=1").json()["items"][0]["status"] == (
        "approved"
    )
    assert manager_client.get(f"{API}?state=nonsense").status_code == 422
    assert manager_client.get(f"{API}?limit=1000").status_code == 422


def test_approving_through_the_api_issues_the_credit_note_once(proposed, manager_client):
    response = _post(manager_client, f"{API}/{proposed.pk}/approve")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["refund_state"], body["awaiting_decision"]) == (
        "approved",
        "issued",
        False,
    )
    note = body["credit_note"]
    assert (note["status"], note["total"]["amount_minor"]) == ("issued", 1188)
    assert note["number"].startswith("CN-")
    again = _post(manager_client, f"{API}/{proposed.pk}/approve")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    assert SandboxRefund.objects.count() == 1


def test_declining_without_a_reason_is_a_field_error_and_changes_nothing(proposed, manager_client):
    for body in ({}, {"reason": "  x "}, {"reason": "a" * 501}):
        response = _post(manager_client, f"{API}/{proposed.pk}/decline", body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"][-1] == "reason"
    proposed.refresh_from_db()
    assert proposed.status == "proposed"
    response = _post(manager_client, f"{API}/{proposed.pk}/decline", {"reason": "Goodwill given"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decline_reason"]) == (
        "declined",
        "Goodwill given",
    )


def test_a_refund_the_provider_refuses_answers_400_and_fails_the_proposal(
    proposed, paid, manager_client
):
    paid.paid_attempt.gateway_charge_id = "ch_sbx_unknown"
    paid.paid_attempt.save(update_fields=["gateway_charge_id"])
    response = _post(manager_client, f"{API}/{proposed.pk}/approve")
    assert response.status_code == 400
    assert "The service credit was not issued" in response.json()["detail"]
    body = manager_client.get(f"{API}/{proposed.pk}").json()
    assert (body["status"], body["awaiting_decision"]) == ("failed", True)
    assert "refused" in body["failure_reason"]


def test_unknown_ids_answer_404(db, manager_client):
    assert manager_client.get(f"{API}/999999").status_code == 404
    assert _post(manager_client, f"{API}/999999/approve").status_code == 404


def test_only_managers_and_admins_may_use_the_api(
    proposed, sysops_client, customer_client, client, admin_user
):
    for url in (API, f"{API}/{proposed.pk}"):
        assert sysops_client.get(url).status_code == 403
        assert customer_client.get(url).status_code == 404
        assert client.get(url).status_code == 401
    assert _post(sysops_client, f"{API}/{proposed.pk}/approve").status_code == 403
    assert _post(sysops_client, f"{API}/{proposed.pk}/decline", {"reason": "No"}).status_code == (
        403
    )
    proposed.refresh_from_db()
    assert proposed.status == "proposed"
    admin = client
    admin.force_login(admin_user)
    assert admin.get(API).status_code == 200


# --- An approval whose credit note billing cancelled ----------------------------------------------


@pytest.fixture
def confirming(proposed, paid, manager) -> ServiceCredit:
    """Approved while the provider gave no answer: billing keeps a draft credit note to send
    again. (The draft is reserved as billing's refund does before it calls the provider; the
    approval then finds it, as one repeated after a crash does, and stands on it.)"""
    _reserve(
        invoice=paid, actor=manager, amount=proposed.amount, reason=credit_note_reason(proposed)
    )
    credit = service_credit_approve(credit=proposed, actor=manager)
    assert (credit.status, credit.credit_note.status) == ("approved", CreditNoteStatus.DRAFT)
    return credit


def _resend_refused(paid) -> str:
    """Billing's automatic re-send of the draft (ten minutes on), refused by the provider;
    returns the charge id to put back."""
    real = paid.paid_attempt.gateway_charge_id
    paid.paid_attempt.gateway_charge_id = "ch_sbx_unknown"
    paid.paid_attempt.save(update_fields=["gateway_charge_id"])
    assert credit_notes_draft_resume(now=timezone.now() + dt.timedelta(minutes=11)) == []
    return real


def test_while_the_credit_note_is_confirmed_the_approval_stands_and_cannot_be_repeated(
    confirming, manager_client
):
    body = manager_client.get(f"{API}/{confirming.pk}").json()
    assert (body["refund_state"], body["awaiting_decision"]) == ("confirming", False)
    assert body["state_display"].startswith("Approved, refund being confirmed")
    assert _post(manager_client, f"{API}/{confirming.pk}/approve").status_code == 409
    assert CreditNote.objects.count() == 1


def test_a_cancelled_credit_note_is_told_and_the_credit_approved_again_once(
    confirming, paid, manager_client
):
    real_charge = _resend_refused(paid)
    note = CreditNote.objects.get()
    assert note.status == CreditNoteStatus.CANCELLED
    body = manager_client.get(f"{API}/{confirming.pk}").json()
    assert (body["status"], body["refund_state"], body["awaiting_decision"]) == (
        "approved",
        "cancelled",
        True,
    )
    assert body["state_display"].startswith(
        "Approved, refund not completed: the credit note was cancelled (The refund was refused"
    )
    assert body["credit_note"]["failure_message"] == note.failure_message
    page = manager_client.get(reverse("sysops:service_credit", args=[confirming.pk]))
    html = page.content.decode()
    assert "Approved, refund not completed: the credit note was cancelled" in html
    assert "Approve 11.88 EUR" in html
    assert manager_client.get(f"{API}?state=pending").json()["count"] == 1

    paid.paid_attempt.gateway_charge_id = real_charge
    paid.paid_attempt.save(update_fields=["gateway_charge_id"])
    response = _post(manager_client, f"{API}/{confirming.pk}/approve")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["refund_state"], body["credit_note"]["status"]) == (
        "approved",
        "issued",
        "issued",
    )
    assert body["credit_note"]["id"] != note.pk
    # Exactly once: a further approval is refused, and one credit note only was issued.
    assert _post(manager_client, f"{API}/{confirming.pk}/approve").status_code == 409
    issued = CreditNote.objects.filter(
        reason__startswith=f"Service credit {confirming.reference}:",
        status=CreditNoteStatus.ISSUED,
    )
    assert issued.count() == 1
    assert SandboxRefund.objects.count() == 1
    paid.refresh_from_db()
    assert paid.credited_minor == 1188


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_a_cancelled_credit_again_at_once_issue_it_once(
    require_postgres, confirming, paid, manager
):
    real_charge = _resend_refused(paid)
    paid.paid_attempt.gateway_charge_id = real_charge
    paid.paid_attempt.save(update_fields=["gateway_charge_id"])
    managers = [manager, staff_user(role="manager")]

    def approve(index):
        try:
            return service_credit_approve(credit=confirming, actor=managers[index]).status
        except Conflict as refused:
            return refused.message

    outcomes = run_together(2, approve)
    assert outcomes.count("approved") == 1, outcomes
    assert CreditNote.objects.filter(status=CreditNoteStatus.ISSUED).count() == 1
    assert SandboxRefund.objects.count() == 1


def test_a_cancelled_credit_note_may_be_declined_instead(confirming, paid, manager_client):
    _resend_refused(paid)
    response = _post(manager_client, f"{API}/{confirming.pk}/decline", {"reason": "Paid by hand"})
    assert (response.status_code, response.json()["status"]) == (200, "declined")
    assert _post(manager_client, f"{API}/{confirming.pk}/approve").status_code == 409


# --- The staff navigation -------------------------------------------------------------------------


@pytest.fixture
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def _nav(html: str) -> str:
    start = html.index('<nav class="staff-nav"')
    return html[start : html.index("</nav>", start)]


def test_managers_see_the_proposals_awaiting_a_decision_on_the_nav(
    _fresh_counts, proposed, manager_client, sysops_client
):
    assert service_credit_awaiting_count() == 1
    staff_counts_refresh()
    nav = _nav(manager_client.get(reverse("staff:home")).content.decode())
    assert f'href="{reverse("sysops:service_credits")}" data-nav="service_credits"' in nav
    assert 'data-count="service_credits">1<' in nav
    assert "awaiting a decision" in nav
    page = manager_client.get(reverse("sysops:service_credits")).content.decode()
    assert 'data-nav="service_credits" aria-current="page"' in _nav(page)
    # SysOps would be refused the page: no link for them.
    assert 'data-nav="service_credits"' not in _nav(
        sysops_client.get(reverse("staff:home")).content.decode()
    )


def test_decided_and_test_customers_credits_are_not_awaiting(proposed, manager):
    test_clock = TestClock.objects.create(name="later", frozen_time=timezone.now())
    Customer.objects.filter(pk=proposed.customer_id).update(test_clock=test_clock)
    assert service_credit_awaiting_count() == 0
    Customer.objects.filter(pk=proposed.customer_id).update(test_clock=None)
    assert service_credit_awaiting_count() == 1
    service_credit_approve(credit=proposed, actor=manager)
    assert service_credit_awaiting_count() == 0


def test_approved_again_and_refused_again_the_credit_fails_and_says_nothing_is_confirming(
    confirming, paid, manager_client
):
    _resend_refused(paid)  # the charge stays unknown: the provider refuses again
    response = _post(manager_client, f"{API}/{confirming.pk}/approve")
    assert response.status_code == 400
    body = manager_client.get(f"{API}/{confirming.pk}").json()
    assert (body["status"], body["awaiting_decision"]) == ("failed", True)
    html = manager_client.get(reverse("sysops:service_credit", args=[confirming.pk])).content
    assert b"being confirmed" not in html
    assert b"Not issued: The refund was refused" in html
    assert not CreditNote.objects.filter(status=CreditNoteStatus.ISSUED).exists()


def test_an_approval_whose_credit_note_was_cancelled_awaits_in_the_count_page_and_api_alike(
    _fresh_counts, confirming, paid, manager_client
):
    """A cancelled credit note paid nothing out: the credit needs a manager again, so the
    navigation's count, the page and the API's pending list all hold it, and none once it is
    issued."""

    def pending_everywhere() -> tuple:
        staff_counts_refresh()
        nav = _nav(manager_client.get(reverse("staff:home")).content.decode())
        api = manager_client.get(f"{API}?state=pending").json()
        page = manager_client.get(reverse("sysops:service_credits")).content.decode()
        awaiting_rows = [
            row for row in page.split("<tr")[1:] if row.startswith(' data-awaiting="true"')
        ]
        return (
            service_credit_awaiting_count(),
            [item["id"] for item in api["items"]],
            [str(confirming.reference) in row for row in awaiting_rows],
            'data-count="service_credits">1<' in nav,
        )

    # Being confirmed with the provider: decided, waiting for nobody.
    assert pending_everywhere() == (0, [], [], False)
    real_charge = _resend_refused(paid)
    assert pending_everywhere() == (1, [confirming.pk], [True], True)

    paid.paid_attempt.gateway_charge_id = real_charge
    paid.paid_attempt.save(update_fields=["gateway_charge_id"])
    assert _post(manager_client, f"{API}/{confirming.pk}/approve").status_code == 200
    assert pending_everywhere() == (0, [], [], False)
