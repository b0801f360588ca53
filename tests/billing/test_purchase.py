import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Subscription, SubscriptionStatus
from onboarding.catalog.models import Plan, PlanPrice
from onboarding.journey.models import JourneyStep, Step, StepState
from onboarding.notifications.models import Notification
from tests.factories import complete_profile, plan_with_prices

pytestmark = pytest.mark.django_db
YEAR = timezone.now().year + 2


@pytest.fixture
def plan():
    return plan_with_prices()


@pytest.fixture
def ready_customer(customer, customer_client):
    complete_profile(customer.customer)
    customer_client.post(
        reverse("payments:card"),
        {"number": "4242424242424242", "exp_month": "1", "exp_year": str(YEAR), "cvc": "123"},
    )
    return customer


def test_buying_needs_a_billing_address_first(customer_client, plan):
    response = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    assert response.status_code == 422
    assert "billing address" in str(response.context["form"].non_field_errors())
    assert not Subscription.objects.exists()


def test_buying_needs_a_card(customer_client, customer, plan):
    complete_profile(customer.customer)
    response = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    assert response.status_code == 422
    assert not Subscription.objects.exists()


def test_a_confirmed_purchase_keeps_the_price_and_moves_the_journey(
    customer_client, ready_customer, plan
):
    response = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    assert response.status_code == 302
    subscription = Subscription.objects.get(customer=ready_customer.customer)
    assert subscription.status == SubscriptionStatus.PENDING
    assert (subscription.cycle, subscription.amount_minor, subscription.tax_rate_bp) == (
        "annual",
        99000,
        2000,
    )
    assert subscription.price_with_tax.amount_minor == 118800
    step = JourneyStep.objects.get(customer=ready_customer.customer, step=Step.CARD_AND_CYCLE)
    assert step.state == StepState.DONE
    assert AuditEntry.objects.filter(action="subscription.purchased").exists()
    (confirmed,) = Notification.objects.filter(recipient=ready_customer, kind="purchase_confirmed")
    assert "billed annually at €1,188.00 including tax" in confirmed.body_text


def test_buying_the_same_plan_twice_buys_once_and_sends_the_second_to_the_account(
    customer_client, ready_customer, plan
):
    customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    again = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "monthly"})
    # A second tap is not an error to show far down the buy page: the purchase stands.
    assert (again.status_code, again["Location"]) == (302, reverse("accounts:home"))
    shown = [(m.level_tag, m.message) for m in get_messages(again.wsgi_request)]
    assert ("info", f"You already have {plan.name}: it is on your account.") in shown
    assert list(Subscription.objects.values_list("cycle", flat=True)) == ["annual"]


def test_a_cycle_the_plan_is_not_sold_in_is_refused(customer_client, ready_customer):
    plan = plan_with_prices("monthly-only", quarterly=None, annual=None)
    response = customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    assert response.status_code == 422
    assert "cycle" in response.context["form"].errors
    # The summary at the top of the form links to the first cycle on offer.
    html = response.content.decode()
    summary = html[html.index('<div class="error-summary"') :]
    assert '<a href="#id_cycle_0">Billing cycle</a>' in summary[: summary.index("</div>")]
    assert 'id="id_cycle_0"' in html


def test_changing_the_cycle_applies_from_the_next_period(customer_client, ready_customer, plan):
    customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    subscription = Subscription.objects.get()
    customer_client.post(
        reverse("billing:change_cycle", args=[subscription.pk]), {"cycle": "monthly"}
    )
    subscription.refresh_from_db()
    assert (subscription.cycle, subscription.pending_cycle) == ("annual", "monthly")
    entry = AuditEntry.objects.get(action="subscription.cycle_changed")
    assert entry.changes["cycle"] == ["annual", "monthly"]


def test_another_customer_cannot_change_my_cycle(
    customer_client, ready_customer, plan, other_customer_client
):
    customer_client.post(reverse("billing:buy", args=[plan.slug]), {"cycle": "annual"})
    subscription = Subscription.objects.get()
    response = other_customer_client.post(
        reverse("billing:change_cycle", args=[subscription.pk]), {"cycle": "monthly"}
    )
    assert response.status_code == 404
    api = other_customer_client.put(
        f"/api/v1/me/subscriptions/{subscription.pk}/cycle",
        {"cycle": "monthly"},
        content_type="application/json",
    )
    assert api.status_code == 404
    subscription.refresh_from_db()
    assert subscription.pending_cycle == ""


def test_purchase_through_the_api(customer_client, ready_customer, plan):
    response = customer_client.post(
        "/api/v1/me/subscriptions",
        {"plan": plan.slug, "cycle": "quarterly"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["amount_minor"] == 27900
    body = response.json()
    assert body["amount"] == {
        "amount_minor": 27900,
        "currency": body["currency"],
        "display": f"279.00 {body['currency']}",
    }
    assert body["tax"]["amount_minor"] == body["tax_minor"]
    unknown = customer_client.post(
        "/api/v1/me/subscriptions",
        {"plan": "no-such-plan", "cycle": "quarterly"},
        content_type="application/json",
    )
    assert unknown.status_code == 404


def test_a_purchase_keeps_the_rows_price_and_the_customers_tax(ready_customer, plan):
    from onboarding.billing.services import subscription_purchase

    older = Plan.objects.prefetch_related("prices").get(pk=plan.pk)  # a snapshot's copy
    PlanPrice.objects.filter(plan=plan, cycle="monthly").update(amount_minor=12300)
    subscription = subscription_purchase(
        customer=ready_customer.customer, plan=older, cycle="monthly", actor=ready_customer
    )
    assert subscription.amount_minor == 12300  # the row's price, not the older copy's
    assert subscription.tax_rate_bp == 2000  # billed in GB: the UK's 20%


def test_a_plan_taken_off_sale_a_moment_ago_is_not_sold(ready_customer, plan):
    from onboarding.billing.services import subscription_purchase
    from onboarding.core.errors import NotFound

    older = Plan.objects.get(pk=plan.pk)
    Plan.objects.filter(pk=plan.pk).update(is_active=False)
    with pytest.raises(NotFound):
        subscription_purchase(
            customer=ready_customer.customer, plan=older, cycle="monthly", actor=ready_customer
        )
    assert not Subscription.objects.filter(customer=ready_customer.customer).exists()
