"""The staff navigation: on every staff page, its own entry marked, with live counts of work."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from config.context_processors import ENTRIES
from config.staff_counts import staff_counts_refresh
from onboarding.acceptance.selectors import acceptance_red_count
from onboarding.accounts.models import Customer, TestClock
from onboarding.alerts.selectors import admin_alert_open_count
from onboarding.alerts.services import admin_alert_raise
from onboarding.contracts.models import Contract
from onboarding.risk.models import RiskLevel, RiskType
from onboarding.risk.selectors import risk_open_count
from onboarding.risk.services import risk_event_raise, risk_event_resolve
from onboarding.sla.models import ClockKind, SlaClock
from onboarding.sysops.requests import service_request_overdue_count
from tests.factories import plan_with_prices
from tests.sysops.conftest import open_request, rich_customer, subscribe
from tests.sysops.sla_terms import plan_with_sla_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(customer):
    return subscribe(customer, plan_with_prices())


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def _nav(html: str) -> str:
    start = html.index('<nav class="staff-nav"')
    return html[start : html.index("</nav>", start)]


@pytest.mark.parametrize(("key", "_label", "url_name", "_meaning"), ENTRIES)
def test_every_staff_page_shows_the_staff_nav_with_its_own_entry_current(
    sysops_client, key, _label, url_name, _meaning
):
    response = sysops_client.get(reverse(url_name))
    assert response.status_code == 200
    nav = _nav(response.content.decode())
    for _, _, other_url, _ in ENTRIES:
        assert f'href="{reverse(other_url)}"' in nav
    assert f'data-nav="{key}" aria-current="page"' in nav
    assert nav.count('aria-current="page"') == 1


def test_a_page_below_an_entry_marks_that_entry(sysops_client, subscription):
    response = sysops_client.get(reverse("sysops:customer", args=[subscription.customer_id]))
    assert 'data-nav="customers" aria-current="page"' in _nav(response.content.decode())


def test_customers_and_visitors_get_no_staff_nav(customer_client, client):
    for response in (customer_client.get(reverse("accounts:home")), client.get("/pricing/")):
        assert response.status_code == 200
        assert 'class="staff-nav"' not in response.content.decode()


def test_a_staff_member_off_the_staff_pages_gets_no_staff_nav(sysops_client):
    assert 'class="staff-nav"' not in sysops_client.get("/pricing/").content.decode()


def test_the_funnel_is_linked_from_every_staff_page(sysops_client):
    html = sysops_client.get(reverse("staff:home")).content.decode()
    assert f'href="{reverse("journey:funnel")}"' in _nav(html)


def test_an_open_alert_is_counted_on_the_nav_and_the_console_home(sysops_client, customer):
    admin_alert_raise(reason="card_refused", message="Card declined", target=customer)
    assert admin_alert_open_count() == 1
    staff_counts_refresh()  # the worker counts (config/tasks.py); pages only read
    html = sysops_client.get(reverse("staff:home")).content.decode()
    assert 'data-count="alerts">1<' in _nav(html)
    assert '<p class="count-line" data-count="1">1 open</p>' in html


def test_nothing_waiting_shows_no_count_badge(sysops_client):
    staff_counts_refresh()
    html = sysops_client.get(reverse("staff:home")).content.decode()
    assert "nav-count" not in _nav(html)
    assert "None open" in html


def test_a_request_past_its_first_response_deadline_is_counted_on_the_nav(sysops_client, customer):
    # The count's rules are tests/sysops/test_request_overdue_count.py; here, that it shows.
    subscription = subscribe(customer, plan_with_sla_terms())
    late = open_request(subscription, summary="The mail server is down")
    open_request(subscription)
    SlaClock.objects.of(late).filter(kind=ClockKind.FIRST_RESPONSE).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    assert service_request_overdue_count() == 1
    staff_counts_refresh()
    assert 'data-count="requests">1<' in _nav(
        sysops_client.get(reverse("staff:home")).content.decode()
    )


def test_no_requests_means_none_overdue():
    assert service_request_overdue_count() == 0


def test_red_and_open_risk_counts_start_at_zero():
    assert acceptance_red_count() == 0
    assert risk_open_count() == 0


def test_the_header_sign_up_and_sign_in_links_keep_a_chosen_plan(client):
    plan = plan_with_prices()
    buy = reverse("billing:buy", args=[plan.slug]) + "?cycle=quarterly"
    client.get(buy)
    html = client.get("/pricing/").content.decode()
    header = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert f"{reverse('account_signup')}?next=" in header
    assert f"{reverse('account_login')}?next=" in header
    assert "business-care" in header


def test_the_header_links_carry_no_next_without_a_chosen_plan(client):
    html = client.get("/pricing/").content.decode()
    header = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert f'href="{reverse("account_signup")}"' in header


def test_a_red_acceptance_and_an_open_risk_are_counted_on_the_nav(sysops_client, sysops):
    subscription = rich_customer(plan_with_prices(), sysops)  # red, yellow and green ratings
    contract = Contract.objects.get(customer=subscription.customer, term_index=1)
    assert acceptance_red_count() == 1
    event = risk_event_raise(
        type=RiskType.ACCEPTANCE_UNACKNOWLEDGED,
        level=RiskLevel.RED,
        contract=contract,
        reason="Red acceptance not acknowledged",
        dedupe_key="test:red",
        rating="red",
    )
    assert risk_open_count() == 1
    staff_counts_refresh()
    nav = _nav(sysops_client.get(reverse("risk:board")).content.decode())
    assert 'data-count="acceptance">1<' in nav
    assert 'data-count="risk">1<' in nav
    risk_event_resolve(event_id=event.pk, actor=sysops, note="Manager called back")
    assert risk_open_count() == 0


def test_a_test_customers_red_acceptance_is_not_work_waiting_on_the_nav(sysops):
    subscription = rich_customer(plan_with_prices(), sysops)  # red, yellow and green ratings
    assert acceptance_red_count() == 1
    test_clock = TestClock.objects.create(name="a year on", frozen_time=timezone.now())
    Customer.objects.filter(pk=subscription.customer_id).update(test_clock=test_clock)
    assert acceptance_red_count() == 0
