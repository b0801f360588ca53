"""Search results say who the customer is, what they have, and what is wrong, in fixed queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from onboarding.billing.models import InvoiceStatus, PaymentState
from onboarding.core.roles import Role
from onboarding.payments.models import PaymentStatus
from onboarding.sysops.health import customer_search_with_health
from onboarding.sysops.overview import customer_overview
from onboarding.sysops.services import customer_resolve
from tests.factories import UserFactory
from tests.sysops.conftest import (
    make_contract,
    make_invoice,
    make_payment,
    open_request,
    subscribe,
    today,
)

pytestmark = pytest.mark.django_db

# The search (ids, then customers) and, for the whole page: subscriptions, cards, payments,
# invoices, contracts, acceptance (two), requests, open disputes, journey steps and alerts, and
# the health scores.
SEARCH_QUERIES = 14


def _troubled(plan, email: str, company: str):
    """A customer with an overdue invoice, a card about to expire and a critical request."""
    user = UserFactory(email=email, role=Role.CUSTOMER, first_name="Ada", last_name="Byron")
    now = timezone.now()
    subscription = subscribe(user, plan, exp_month=now.month, exp_year=now.year)
    subscription.customer.company = company
    subscription.customer.save(update_fields=["company"])
    make_invoice(
        subscription,
        0,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.DECLINED,
        due_date=today() - timedelta(days=3),
    )
    make_payment(subscription, 0, status=PaymentStatus.DECLINED, message="Card declined.")
    make_contract(subscription, 0, term_end=now + timedelta(days=20))
    open_request(subscription, severity="critical", summary="Mail server down")
    return subscription


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr data-customer=.*?</tr>", html, flags=re.S)


def test_a_result_shows_company_name_email_once_plan_contract_and_flags(sysops_client, plan):
    subscription = _troubled(plan, "ada@engines.test", "Analytical Engines")
    response = sysops_client.get(
        reverse("sysops:customer_search"), {"q": "analytical"}, headers={"HX-Request": "true"}
    )
    (row,) = _rows(response.content.decode())
    assert ">Analytical Engines</a>" in row
    assert "Ada Byron" in row
    assert row.count("ada@engines.test") == 1
    assert subscription.plan.name in row
    assert "days left" in row
    for code in ("invoice_overdue", "payment_failed", "card_expiring", "request_critical"):
        assert f'data-risk="{code}"' in row


def test_a_healthy_result_says_ok(sysops_client, customer, plan):
    subscribe(customer, plan)
    response = sysops_client.get(reverse("sysops:customer_search"), {"q": "acme"})
    (row,) = _rows(response.content.decode())
    assert 'data-risk="none"' in row


def test_a_result_carries_the_same_flags_as_the_full_view(plan):
    subscription = _troubled(plan, "grace@cobol.test", "Harvard Mark")
    (hit,) = customer_search_with_health(query="harvard").hits
    customer = customer_resolve(customer_id=subscription.customer_id, source="test")
    full = customer_overview(customer=customer).risks
    assert [(r.code, r.level, r.message) for r in hit.health.risks] == [
        (r.code, r.level, r.message) for r in full
    ]
    assert hit.health.red


def test_twenty_results_take_the_same_queries_as_one(plan):
    for n in range(20):
        subscription = _troubled(plan, f"many{n}@crowd.test", f"Crowd {n}")
        make_contract(subscription, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(customer_search_with_health(query="many7@crowd.test").hits) == 1
    with CaptureQueriesContext(connection) as twenty:
        page = customer_search_with_health(query="crowd.test")
    assert len(page.hits) == 20
    assert all(len(hit.health.risks) >= 4 for hit in page.hits)
    assert len(one) == len(twenty) == SEARCH_QUERIES


def test_the_search_page_with_twenty_results_stays_within_its_queries(
    sysops_client, plan, django_assert_max_num_queries
):
    for n in range(20):
        _troubled(plan, f"page{n}@crowd.test", f"Crowd {n}")
    sysops_client.get(reverse("sysops:customer_search"))  # the session's own reads, once
    # The search, the page's health, the session, user and authenticator checks, and the staff
    # navigation's counts (one cache read: the first request counted them).
    with django_assert_max_num_queries(SEARCH_QUERIES + 7):
        response = sysops_client.get(reverse("sysops:customer_search"), {"q": "crowd.test"})
    assert len(_rows(response.content.decode())) == 20
