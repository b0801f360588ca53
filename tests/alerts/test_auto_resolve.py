"""Alerts are graded (the customer's decline a warning, our failure an error) and close by
themselves when the same step later succeeds for the same customer."""

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.accounts.services import customer_profile_update
from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import admin_alert_raise, admin_alerts_resolve_for
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.followups import invoice_follow_up
from onboarding.billing.models import Invoice
from onboarding.billing.services import invoice_pay
from onboarding.notifications.models import Notification
from onboarding.payments.models import PaymentMethod
from tests.billing.conftest import DECLINING_CARD, buy, ready_customer, today
from tests.factories import DEFAULT_PASSWORD, plan_with_prices
from tests.payments.helpers import GOOD_CARD, card_on_file

pytestmark = pytest.mark.django_db
YEAR = timezone.now().year + 2
DECLINED = "4000000000000002"
PROCESSING_ERROR = "4000000000000119"
GOOD = "4242424242424242"


def card_form(number: str) -> dict:
    return {"number": number, "exp_month": "11", "exp_year": str(YEAR), "cvc": "123"}


def _add_card(client, number: str):
    return client.post(reverse("payments:card"), card_form(number))


def _failure_log(caplog) -> list[tuple[str, bool]]:
    return [
        (r.levelname, r.exc_info is not None)
        for r in caplog.records
        if r.name == "onboarding.failures"
    ]


def test_a_declined_card_is_a_warning_that_still_tells_the_admins(
    customer_client, admin_user, caplog
):
    assert _add_card(customer_client, DECLINED).status_code == 422

    alert = AdminAlert.objects.get(reason="card_refused")
    assert alert.severity == "warning"
    assert alert.state == AlertState.OPEN
    assert Notification.objects.filter(recipient=admin_user, kind="admin_alert").exists()
    # The customer's to fix: logged as a warning, without a traceback.
    assert _failure_log(caplog) == [("WARNING", False)]


def test_a_processing_error_at_the_provider_stays_an_error(customer_client, caplog):
    assert _add_card(customer_client, PROCESSING_ERROR).status_code == 422

    assert AdminAlert.objects.get(reason="card_refused").severity == "error"
    assert _failure_log(caplog) == [("ERROR", True)]


def test_another_card_that_works_resolves_the_decline_alert_as_the_system(
    customer_client, customer, sysops_client
):
    _add_card(customer_client, DECLINED)
    alert = AdminAlert.objects.get(reason="card_refused")

    assert _add_card(customer_client, GOOD).status_code == 302

    alert.refresh_from_db()
    method = PaymentMethod.objects.get(customer=customer.customer)
    assert alert.state == AlertState.RESOLVED
    assert alert.resolved_automatically
    assert alert.resolved_by is None
    assert alert.resolution_note == f"{method} was put on file for {customer.customer.reference}."
    entry = AuditEntry.objects.get(action="alert.auto_resolved")
    assert entry.actor is None
    assert (entry.object_type, entry.object_id) == ("alerts.adminalert", str(alert.pk))
    assert entry.customer_id == customer.customer.pk
    assert entry.changes["state"] == ["open", "resolved"]
    assert entry.changes["resolved_by"] == "system"
    assert str(method) in entry.message
    # Staff see who closed it, on the page and in the API.
    page = sysops_client.get(reverse("alerts:detail", args=[alert.pk]))
    assert b">system</span>" in page.content
    api = sysops_client.get(f"/api/v1/staff/alerts/{alert.pk}")
    assert api.json()["resolved_by"] == "system"
    assert api.json()["resolved_automatically"] is True


def test_a_card_added_by_another_customer_resolves_nothing(customer_client, other_customer_client):
    _add_card(customer_client, DECLINED)

    assert _add_card(other_customer_client, GOOD).status_code == 302

    alert = AdminAlert.objects.get(reason="card_refused")
    assert alert.state == AlertState.OPEN
    assert not AuditEntry.objects.filter(action="alert.auto_resolved").exists()


def test_a_success_about_another_object_of_the_same_customer_resolves_nothing(customer):
    profile = customer.customer
    alert = admin_alert_raise(
        reason="contract_email_unverified",
        message="Contract C-1 was not emailed",
        object_type="contracts.contract",
        object_id="1",
        customer_id=profile.pk,
    )

    # The same customer's success about the customer record, not contract 1.
    resolved = admin_alerts_resolve_for(
        success="contract_emailed", customer_id=profile.pk, target=profile, because="x"
    )

    alert.refresh_from_db()
    assert resolved == []
    assert alert.state == AlertState.OPEN


def test_a_success_does_not_resolve_alerts_of_another_step(customer):
    profile = customer.customer
    alert = admin_alert_raise(
        reason="purchase_failed", message="Purchase failed", target=profile, customer_id=profile.pk
    )

    admin_alerts_resolve_for(
        success="card_added", customer_id=profile.pk, target=profile, because="a card was added"
    )

    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_a_decline_after_the_auto_resolve_opens_a_new_alert(customer_client):
    _add_card(customer_client, DECLINED)
    _add_card(customer_client, GOOD)

    first = AdminAlert.objects.get(reason="card_refused")
    again = admin_alert_raise(
        reason="card_refused",
        message="refused again",
        object_type=first.object_type,
        object_id=first.object_id,
        customer_id=first.customer_id,
        severity="warning",
    )

    assert again.pk != first.pk
    assert again.state == AlertState.OPEN


def test_paying_the_invoice_resolves_its_payment_incomplete_alert_only(customer):
    buy(ready_customer(customer, card=DECLINING_CARD), plan_with_prices())
    bill_run_execute(run_date=today())
    invoice = Invoice.objects.select_related("customer__user").get()
    invoice_follow_up(invoice_id=invoice.pk)
    alert = AdminAlert.objects.get(reason="payment_incomplete")
    assert alert.severity == "warning"  # a retry is booked: the customer can still pay
    unrelated = admin_alert_raise(
        reason="payment_incomplete",
        message="another invoice of the same customer",
        object_type="billing.invoice",
        object_id=str(invoice.pk + 1000),
        customer_id=invoice.customer_id,
    )
    card_on_file(invoice.customer, GOOD_CARD, password=DEFAULT_PASSWORD)

    invoice_pay(invoice=invoice, actor=invoice.customer.user)

    alert.refresh_from_db()
    unrelated.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert invoice.number in alert.resolution_note
    assert unrelated.state == AlertState.OPEN


def _purchase_failed(profile, plan_slug: str) -> AdminAlert:
    return admin_alert_raise(
        reason="purchase_failed",
        message="Purchase failed",
        target=profile,
        customer_id=profile.pk,
        context={"plan": plan_slug},
    )


def test_a_purchase_resolves_the_customers_failed_purchase_alert(customer):
    profile = ready_customer(customer)
    plan = plan_with_prices()
    alert = _purchase_failed(profile, plan.slug)

    buy(profile, plan)

    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert plan.name in alert.resolution_note


def test_buying_another_plan_leaves_the_failed_purchase_alert_open(customer):
    profile = ready_customer(customer)
    alert = _purchase_failed(profile, "enterprise")

    buy(profile, plan_with_prices("essential"))

    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_a_saved_profile_resolves_the_customers_failed_profile_update_alert(customer):
    profile = customer.customer
    alert = admin_alert_raise(
        reason="profile_update_failed",
        message="Profile update failed",
        target=profile,
        customer_id=profile.pk,
    )

    customer_profile_update(customer=profile, actor=customer, profile={"company": "Compilers Ltd"})

    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert AuditEntry.objects.filter(action="alert.auto_resolved", object_id=str(alert.pk)).exists()
