"""A gap in the rates table for the customer's country: a plan change is refused with a field
error and raises the tax_rate_missing admin alert, from the portal, the staff page and the API;
the alert resolves itself once a rate is in force again (an admin's edit of the table covering
today, or an invoice taxed for the country), tax/services.py."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.audit.models import AuditEntry
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.cycle_changes import subscription_change_cycle_now
from onboarding.billing.models import Invoice, PlanChange, Subscription
from onboarding.billing.plan_changes import plan_change_preview, subscription_change_plan
from onboarding.catalog.models import Plan
from onboarding.tax.models import TaxRate
from onboarding.tax.selectors import TaxRateMissing
from tests.billing.conftest import bought, buy, ready_customer, today
from tests.factories import UserFactory, plan_with_prices

pytestmark = pytest.mark.django_db

RATES = "/admin/tax/taxrate/"


@pytest.fixture
def enterprise(db) -> Plan:
    return plan_with_prices("enterprise-care", monthly=29900, quarterly=None, annual=None)


@pytest.fixture
def norwegian(plan) -> Subscription:
    """A paid monthly subscription of a customer billed in Norway, then a gap in Norway's rates:
    its only rate starts in a month."""
    anchor = (timezone.now() - timedelta(days=5)).replace(microsecond=0)
    subscription = bought(ready_customer(UserFactory(), country="NO"), plan, anchor=anchor)
    bill_run_execute(run_date=anchor.date())
    subscription.refresh_from_db()
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=today() + timedelta(days=30))
    return subscription


def _alert() -> AdminAlert:
    return AdminAlert.objects.get(reason="tax_rate_missing")


def _nothing_changed(subscription: Subscription, plan: Plan) -> None:
    assert Subscription.objects.get(pk=subscription.pk).plan_id == plan.pk
    assert not PlanChange.objects.exists()
    assert Invoice.objects.filter(subscription=subscription).count() == 1


def test_an_upgrade_meeting_a_gap_is_refused_on_country_and_alerts_an_admin(
    norwegian, plan, enterprise
):
    with pytest.raises(TaxRateMissing) as missing:
        subscription_change_plan(
            subscription=norwegian, plan=enterprise, quantity=1, actor=norwegian.customer.user
        )

    assert missing.value.field == "country"
    _nothing_changed(norwegian, plan)
    alert = _alert()
    assert (alert.object_type, alert.object_id, alert.customer_id) == (
        "tax.country",
        "NO",
        norwegian.customer_id,
    )
    assert alert.count == 1  # the quote inside the change's transaction does not alert twice


def test_the_preview_and_a_cycle_change_now_alert_too(norwegian, enterprise):
    with pytest.raises(TaxRateMissing):
        plan_change_preview(subscription=norwegian, plan=enterprise, quantity=1)
    with pytest.raises(TaxRateMissing):
        subscription_change_cycle_now(
            subscription=norwegian, cycle="annual", actor=norwegian.customer.user
        )

    assert _alert().count == 2


def test_the_portal_page_shows_the_field_error_and_alerts(norwegian, plan, enterprise):
    client = Client()
    client.force_login(norwegian.customer.user)

    page = client.post(
        f"/account/subscriptions/{norwegian.pk}/plan/",
        {"plan": enterprise.slug, "quantity": "1"},
    )

    assert page.status_code == 422
    assert "tax rate is missing on our side" in page.content.decode()
    _nothing_changed(norwegian, plan)
    assert _alert().customer_id == norwegian.customer_id


def test_the_staff_page_shows_the_field_error_and_alerts(
    sysops_client, norwegian, plan, enterprise
):
    page = sysops_client.post(
        f"/staff/subscriptions/{norwegian.pk}/plan/",
        {"plan": enterprise.slug, "quantity": "1"},
    )

    assert page.status_code == 422
    assert "tax rate is missing on our side" in page.content.decode()
    _nothing_changed(norwegian, plan)
    assert _alert().object_id == "NO"


def test_the_api_answers_422_on_country_and_alerts(norwegian, plan, enterprise):
    client = Client()
    client.force_login(norwegian.customer.user)

    for path in ("plan-change/preview", "plan-change"):
        response = client.post(
            f"/api/v1/me/subscriptions/{norwegian.pk}/{path}",
            {"plan": enterprise.slug, "quantity": 1},
            content_type="application/json",
        )
        assert response.status_code == 422, response.content
        assert "country" in response.content.decode()

    _nothing_changed(norwegian, plan)
    assert _alert().count == 2


def test_an_admin_adding_a_rate_in_force_today_resolves_the_alert(
    admin_client_2fa, norwegian, enterprise
):
    with pytest.raises(TaxRateMissing):
        plan_change_preview(subscription=norwegian, plan=enterprise, quantity=1)

    later = admin_client_2fa.post(
        f"{RATES}add/",
        {"country": "NO", "rate_bp": "2500", "valid_from": "2099-01-01", "name": "VAT"},
    )
    assert later.status_code == 302
    assert _alert().state != AlertState.RESOLVED  # a rate from 2099 leaves the gap open

    posted = admin_client_2fa.post(
        f"{RATES}add/",
        {"country": "NO", "rate_bp": "2500", "valid_from": "2000-01-01", "name": "VAT"},
    )

    assert posted.status_code == 302
    alert = _alert()
    assert alert.state == AlertState.RESOLVED and alert.resolved_automatically
    assert "rates table was edited" in alert.resolution_note
    assert AuditEntry.objects.filter(action="alert.auto_resolved", object_id=str(alert.pk)).exists()


def test_the_next_invoice_taxed_for_the_country_resolves_the_alert(plan):
    gap = ready_customer(UserFactory(), country="NO")
    left = buy(gap, plan)
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=today() + timedelta(days=30))
    bill_run_execute(run_date=today())
    assert _alert().state == AlertState.OPEN
    # Fixed behind the admin's back (a data load): the bill run's next invoice closes it.
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=date(2000, 1, 1))

    bill_run_execute(run_date=today())

    assert Invoice.objects.get(subscription=left).tax_rate_bp == 2500
    alert = _alert()
    assert alert.state == AlertState.RESOLVED and "Invoices were issued" in alert.resolution_note


def test_an_invoice_for_another_country_leaves_the_alert_open(plan):
    gap = ready_customer(UserFactory(), country="NO")
    buy(gap, plan)
    TaxRate.objects.create(country="NO", rate_bp=2500, valid_from=today() + timedelta(days=30))
    bill_run_execute(run_date=today())

    buy(ready_customer(UserFactory(), country="DE"), plan)
    bill_run_execute(run_date=today())

    assert Invoice.objects.filter(tax_country="DE").exists()
    assert _alert().state == AlertState.OPEN
