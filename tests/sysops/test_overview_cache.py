"""The customer view's cached overview: never stale after a write, one query when warm, and a
page that stays up with the cache down (onboarding/sysops/overview_cache.py).

On SQLite the overview is not cached (no row versions to stamp): the freshness tests then hold
trivially, and the tests of the cache itself run in the PostgreSQL leg."""

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onboarding.acceptance.requirements import requirement_add
from onboarding.accounts.models import Customer, TestClock
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing.models import Invoice, InvoiceStatus, PaymentState
from onboarding.contracts.models import Contract, ContractState
from onboarding.health.models import HealthReview, ReviewState
from onboarding.health.reviews import health_review_acknowledge
from onboarding.health.services import customer_health_recompute
from onboarding.sysops.models import RequestStatus
from onboarding.sysops.overview import customer_overview
from onboarding.sysops.overview_cache import (
    customer_overview_cached,
    overview_stamp,
    stamped_tables,
)
from onboarding.sysops.services import customer_resolve, service_request_move
from tests.acceptance.conftest import active_contract
from tests.factories import DEFAULT_PASSWORD
from tests.health.conftest import overdue_invoice, strict_bands
from tests.payments.helpers import card_on_file
from tests.private_redis import private_redis  # noqa: F401
from tests.sysops.conftest import add_history, make_contract, make_invoice, open_request
from tests.sysops.conftest import rich_customer as make_rich_customer

pytestmark = pytest.mark.django_db

# A warm view: the stamp, and the cache read (a query with the DatabaseCache the tests run on;
# none more with Redis, tested below).
WARM_QUERIES_DATABASE_CACHE = 2
WARM_QUERIES_REDIS = 1


def _view(customer_id: int, **kwargs):
    customer = customer_resolve(customer_id=customer_id, source="test")
    return customer_overview_cached(customer=customer, **kwargs)


def _page(overview) -> str:
    return render_to_string("sysops/customer_overview.html", {"o": overview})


def _tables_read(call) -> set[str]:
    import re

    with CaptureQueriesContext(connection) as queries:
        call()
    return {t for q in queries for t in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', q["sql"])}


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {
        "default": {"BACKEND": "onboarding.core.cache.RedisCache", "LOCATION": redis_url}
    }


def test_the_stamp_covers_every_table_the_overview_reads(require_postgres, plan, sysops):
    subscription = make_rich_customer(plan, sysops)
    customer_id = subscription.customer_id
    customer_health_recompute(customer_id=customer_id)
    customer = customer_resolve(customer_id=customer_id, source="test")
    # The selector and the page's template (a lazy relation read while rendering counts too).
    read = _tables_read(lambda: _page(customer_overview(customer=customer)))
    assert "acceptance_review" in read and "health_customerhealthsnapshot" in read
    assert read - stamped_tables() == set()


def test_a_warm_view_reads_the_stamp_alone_and_shows_what_a_cold_one_shows(
    require_postgres, plan, sysops
):
    customer_id = make_rich_customer(plan, sysops).customer_id
    cold = _view(customer_id)
    customer = customer_resolve(customer_id=customer_id, source="test")
    with CaptureQueriesContext(connection) as queries:
        warm = customer_overview_cached(customer=customer)
    assert len(queries) == WARM_QUERIES_DATABASE_CACHE
    assert "onboarding_overview_stamp" in queries[0]["sql"]
    assert _page(warm) == _page(cold)
    assert warm.customer.pk == customer_id and warm.risks == cold.risks


def test_the_history_lists_kept_rendered_are_what_the_page_renders_itself(plan, sysops):
    customer_id = make_rich_customer(plan, sysops).customer_id
    customer = customer_resolve(customer_id=customer_id, source="test")
    inline = _page(customer_overview(customer=customer))
    assert "Mail server down since 9:00" in inline
    _view(customer_id)  # an entry without the lists (as the API leaves it)
    for _ in range(2):  # the page adds them to the entry, then reads them from it
        kept = customer_overview_cached(customer=customer, history_html=True)
        assert _page(kept) == inline
    if connection.vendor == "postgresql":
        assert "Mail server down since 9:00" in kept.history_html


def test_with_redis_a_warm_view_is_one_query(require_postgres, redis_cache, subscription):
    add_history(subscription, 3)
    cold = _view(subscription.customer_id)
    customer = customer_resolve(customer_id=subscription.customer_id, source="test")
    with CaptureQueriesContext(connection) as queries:
        warm = customer_overview_cached(customer=customer)
    assert len(queries) == WARM_QUERIES_REDIS
    assert _page(warm) == _page(cold)


def test_the_stamp_moves_with_a_write_and_only_with_one(require_postgres, subscription):
    customer_id = subscription.customer_id
    before = overview_stamp(customer_id=customer_id)
    assert overview_stamp(customer_id=customer_id) == before
    invoice = make_invoice(subscription, 1)
    after_insert = overview_stamp(customer_id=customer_id)
    assert after_insert != before
    # Two updates of one row inside one transaction (this test's) are told apart too.
    Invoice.objects.filter(pk=invoice.pk).update(number="INV-X-1")
    after_update = overview_stamp(customer_id=customer_id)
    Invoice.objects.filter(pk=invoice.pk).update(number="INV-X-2")
    assert len({before, after_insert, after_update, overview_stamp(customer_id=customer_id)}) == 4
    Invoice.objects.filter(pk=invoice.pk).delete()
    assert overview_stamp(customer_id=customer_id) not in {after_insert, after_update}


# --- Each kind of change, then the view: it shows the change --------------------------------


def _codes(overview) -> set[str]:
    return {risk.code for risk in overview.risks}


def _invoice_paid(subscription, sysops):
    invoice = make_invoice(
        subscription,
        1,
        status=InvoiceStatus.OPEN,
        payment_state=PaymentState.DECLINED,
        due_date=timezone.now().date() - timedelta(days=3),
    )
    before = _view(subscription.customer_id)
    assert "invoice_overdue" in _codes(before), _codes(before)
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.PAID, payment_state=PaymentState.SUCCEEDED, paid_at=timezone.now()
    )
    return lambda o: "invoice_overdue" not in _codes(o)


def _card_changed(subscription, sysops):
    before = _view(subscription.customer_id).card
    customer = Customer.objects.get(pk=subscription.customer_id)
    card_on_file(customer, password=DEFAULT_PASSWORD, exp_month=1, exp_year=2040)
    return lambda o: o.card != before and o.card.expires_on.year == 2040


def _request_opened(subscription, sysops):
    _view(subscription.customer_id)
    open_request(subscription, summary="Printer on fire")
    return lambda o: [r.summary for r in o.requests] == ["Printer on fire"]


def _request_answered(subscription, sysops):
    request = open_request(subscription)
    _view(subscription.customer_id)
    service_request_move(
        request=request, status=RequestStatus.WAITING_ON_CUSTOMER, actor=sysops, note="Which one?"
    )
    return lambda o: o.requests[0].status == RequestStatus.WAITING_ON_CUSTOMER


def _acceptance_rated(subscription, sysops):
    contract = make_contract(subscription, 0)
    assert "acceptance_red" not in _codes(_view(subscription.customer_id))
    requirement_add(
        contract=contract, actor=sysops, title="Backups", criteria="Nightly", rating="red"
    )
    return lambda o: "acceptance_red" in _codes(o)


def _contract_acknowledged(subscription, sysops):
    contract = make_contract(subscription, 0, state=ContractState.SENT)
    _view(subscription.customer_id)
    Contract.objects.filter(pk=contract.pk).update(state=ContractState.ACKNOWLEDGED)
    return lambda o: o.contracts[0].status == ContractState.ACKNOWLEDGED


def _health_recomputed(subscription, sysops):
    assert _view(subscription.customer_id).health is None
    customer_health_recompute(customer_id=subscription.customer_id)
    return lambda o: o.health is not None


def _alert_raised(subscription, sysops):
    _view(subscription.customer_id)
    admin_alert_raise(
        reason="payment.declined",
        message="Declined at renewal.",
        target=subscription,
        customer_id=subscription.customer_id,
        severity="warning",
    )
    return lambda o: [a.message for a in o.alerts] == ["Declined at renewal."]


def _customer_moved(subscription, sysops):
    _view(subscription.customer_id)
    Customer.objects.filter(pk=subscription.customer_id).update(company="Renamed Ltd")
    return lambda o: o.customer.company == "Renamed Ltd"


CHANGES = {
    "invoice paid": _invoice_paid,
    "card changed": _card_changed,
    "request opened": _request_opened,
    "request answered": _request_answered,
    "acceptance rated": _acceptance_rated,
    "contract acknowledged": _contract_acknowledged,
    "health recomputed": _health_recomputed,
    "alert raised": _alert_raised,
    "customer edited": _customer_moved,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_view_after_a_change_shows_it(change, subscription, sysops):
    shows_change = CHANGES[change](subscription, sysops)
    cached = _view(subscription.customer_id)  # what a page after the change gets
    fresh = customer_overview(
        customer=customer_resolve(customer_id=subscription.customer_id, source="t")
    )
    assert shows_change(fresh)
    assert shows_change(cached)
    assert _page(cached) == _page(fresh)


def test_a_new_day_is_a_new_entry(subscription):
    today = timezone.localdate()
    first = _view(subscription.customer_id, today=today)
    next_day = _view(subscription.customer_id, today=today + timedelta(days=1))
    assert [p.owned_days for p in next_day.products] == [p.owned_days + 1 for p in first.products]


def test_a_test_clock_moving_moves_the_stamp(require_postgres, subscription, sysops):
    clock = TestClock.objects.create(name="Sim", frozen_time=timezone.now(), created_by=sysops)
    Customer.objects.filter(pk=subscription.customer_id).update(test_clock=clock)
    before = overview_stamp(customer_id=subscription.customer_id)
    TestClock.objects.filter(pk=clock.pk).update(frozen_time=clock.frozen_time + timedelta(days=3))
    assert overview_stamp(customer_id=subscription.customer_id) != before


def test_the_page_and_api_show_the_same_when_served_from_the_cache(sysops_client, subscription):
    add_history(subscription, 2)
    url = f"/api/v1/staff/customers/{subscription.customer_id}/overview"
    first = sysops_client.get(url).json()
    assert sysops_client.get(url).json() == first
    page = f"/staff/customers/{subscription.customer_id}/"
    assert sysops_client.get(page).status_code == 200
    open_request(subscription, summary="Fresh after the write")
    assert sysops_client.get(url).json()["requests"][0]["summary"] == "Fresh after the write"
    assert "Fresh after the write" in sysops_client.get(page).content.decode()


def test_with_the_cache_down_the_page_still_answers(
    require_postgres,
    settings,
    private_redis,  # noqa: F811
    sysops_client,
    subscription,
    caplog,
):
    settings.CACHES = {
        "default": {
            "BACKEND": "onboarding.core.cache.RedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    open_request(subscription, summary="Seen without a cache")
    page = f"/staff/customers/{subscription.customer_id}/"
    assert sysops_client.get(page).status_code == 200  # warms the cache
    private_redis.stop()
    response = sysops_client.get(page)
    assert response.status_code == 200
    assert "Seen without a cache" in response.content.decode()
    assert "customer overview not cached: the cache is unavailable" in caplog.text
    api = sysops_client.get(f"/api/v1/staff/customers/{subscription.customer_id}/overview")
    assert api.status_code == 200 and api.json()["requests"][0]["summary"] == "Seen without a cache"


def test_a_red_customers_review_acknowledged_shows_on_the_next_view(manager):
    contract = active_contract()
    strict_bands()
    customer_health_recompute(customer_id=contract.customer_id)
    overdue_invoice(contract, days_late=34)
    assert customer_health_recompute(customer_id=contract.customer_id).crossed_into_red
    review = HealthReview.objects.get(customer_id=contract.customer_id)
    assert _view(contract.customer_id).health.review.state == ReviewState.OPEN
    health_review_acknowledge(review=review, actor=manager)
    cached = _view(contract.customer_id)
    assert cached.health.review.state == ReviewState.ACKNOWLEDGED
    assert 'data-review-state="acknowledged"' in _page(cached)
