"""The SLA breach report: each plan's request clocks judged in a month (stopped met or missed,
or breached), its month picker, its chart and CSV, and who may read it.

The clocks are the ones opening a request starts; each is then given the stamps the request's
life would have left (stopped, outcome, breached), so a known set of clocks spans two plans and
two months, with a test clock's customer and a clock without terms to be left out."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.accounts.models import TestClock
from onboarding.sla.models import ClockKind, ClockOutcome, SlaClock
from onboarding.sysops.sla_report import sla_breach_report
from tests.factories import UserFactory, plan_with_prices
from tests.sysops.conftest import open_request, subscribe
from tests.sysops.sla_terms import plan_with_sla_terms

pytestmark = pytest.mark.django_db

FR, RES = ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION
MET, MISSED = ClockOutcome.MET, ClockOutcome.MISSED
MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def utc(month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=dt.UTC)


def stamp(request, kind, *, stopped=None, outcome=None, breached=None) -> None:
    """What the request's life left on its clock: when it stopped and how, when it breached."""
    fields = {"stopped_at": stopped, "breached_at": breached}
    if outcome is not None:
        fields["outcome"] = outcome
    SlaClock.objects.of(request).filter(kind=kind).update(**fields)


@pytest.fixture
def clocks(customer, other_customer):
    """Business Care (SLA terms) and Enterprise Care (no terms but for the stamps given)."""
    business = subscribe(customer, plan_with_sla_terms())
    enterprise = subscribe(other_customer, plan_with_prices("enterprise-care"))

    r1 = open_request(business)  # first response met, resolution breached then missed: March
    stamp(r1, FR, stopped=utc(3, 2), outcome=MET)
    stamp(r1, RES, stopped=utc(3, 20), outcome=MISSED, breached=utc(3, 10))
    r2 = open_request(business)  # first response late in March; resolution breached on the
    stamp(r2, FR, stopped=utc(3, 5, 14), outcome=MISSED, breached=utc(3, 5, 13))
    stamp(r2, RES, stopped=utc(4, 2), outcome=MISSED, breached=utc(3, 31, 23, 30))  # last day
    r3 = open_request(business)  # met at the two edges of March and April (UTC)
    stamp(r3, FR, stopped=utc(3, 31, 23, 59, 59), outcome=MET)
    stamp(r3, RES, stopped=utc(4, 1, 0), outcome=MET)

    r4 = open_request(enterprise)  # met; resolution still running, never judged
    stamp(r4, FR, stopped=utc(3, 10), outcome=MET)
    r5 = open_request(enterprise, severity="low")  # no SLA: stopped, but never judged
    stamp(r5, FR, stopped=utc(3, 11))
    r6 = open_request(enterprise)  # judged in February
    stamp(r6, FR, stopped=utc(2, 28, 23, 59, 59), outcome=MISSED)

    # A test clock's customer: missed in March of its own time, never in the report.
    simulated = UserFactory()
    test_subscription = subscribe(simulated, business.plan)
    test_subscription.customer.test_clock = TestClock.objects.create(
        name="report", frozen_time=utc(3, 15)
    )
    test_subscription.customer.save(update_fields=["test_clock"])
    r7 = open_request(test_subscription)
    stamp(r7, FR, stopped=utc(3, 15), outcome=MISSED, breached=utc(3, 14))
    return business.plan, enterprise.plan


def table(report) -> list[tuple]:
    return [
        (row.plan, row.kind, row.clocks, row.met, row.missed, row.breached, row.breach_rate_pct)
        for row in report.rows
    ]


def test_march_counts_each_plans_clocks_judged_in_march(clocks):
    assert table(sla_breach_report(month=MARCH)) == [
        ("Helpdesk Suite · Business Care", FR, 3, 2, 1, 1, "33.3"),
        ("Helpdesk Suite · Business Care", RES, 2, 0, 1, 2, "100.0"),
        ("Helpdesk Suite · Enterprise Care", FR, 1, 1, 0, 0, "0.0"),
    ]


def test_april_counts_the_clocks_stopped_in_april_only(clocks):
    assert table(sla_breach_report(month=APRIL)) == [
        ("Helpdesk Suite · Business Care", RES, 2, 1, 1, 0, "50.0"),
    ]


def test_the_report_is_one_query(clocks):
    with CaptureQueriesContext(connection) as queries:
        sla_breach_report(month=MARCH)
    assert len(queries) == 1


def test_the_page_shows_the_month_asked_for_with_its_chart_and_links(sysops_client, clocks):
    business, _ = clocks
    response = sysops_client.get(reverse("sysops:sla_breach_report"), {"month": "2026-03"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "SLA breach report: March 2026" in html
    assert f'<tr data-plan="{business.pk}" data-kind="resolution">' in html
    assert 'data-rate="33.3">33.3%<' in html
    assert "<svg" in html and 'class="rate"' in html
    assert 'width="100.0"' in html  # 33.3% of the chart's 300 wide bar: 1 of 3 clocks
    assert "?month=2026-02" in html and "?month=2026-04" in html
    assert f"{reverse('sysops:sla_breach_report_csv')}?month=2026-03" in html


def test_without_a_month_the_page_shows_the_current_one(sysops_client):
    response = sysops_client.get(reverse("sysops:sla_breach_report"))
    assert response.status_code == 200
    today = dt.datetime.now(dt.UTC)
    assert f'value="{today:%Y-%m}"' in response.content.decode()
    assert "No request clock stopped or was breached" in response.content.decode()


@pytest.mark.parametrize("month", ["", "March", "2026-13", "2026-3-01", "0001-01", "9999-12"])
def test_a_bad_month_is_a_field_error_not_a_500(sysops_client, month):
    for name in ("sysops:sla_breach_report", "sysops:sla_breach_report_csv"):
        response = sysops_client.get(reverse(name), {"month": month})
        assert response.status_code == 422
        html = response.content.decode()
        assert 'class="errorlist' in html
        assert "<svg" not in html


def test_the_csv_holds_the_months_rows(sysops_client, clocks):
    business, enterprise = clocks
    response = sysops_client.get(reverse("sysops:sla_breach_report_csv"), {"month": "2026-03"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sla-breaches-2026-03.csv"' in response["Content-Disposition"]
    assert response.content.decode().split("\r\n") == [
        "month,plan_id,plan,kind,clocks,met,missed,breached,failed,breach_rate_pct",
        f"2026-03,{business.pk},Helpdesk Suite · Business Care,first_response,3,2,1,1,1,33.3",
        f"2026-03,{business.pk},Helpdesk Suite · Business Care,resolution,2,0,1,2,2,100.0",
        f"2026-03,{enterprise.pk},Helpdesk Suite · Enterprise Care,first_response,1,1,0,0,0,0.0",
        "",
    ]


def test_every_staff_role_reads_it_and_customers_do_not(
    customer_client, sysops_client, manager_client, admin_client_2fa
):
    url = reverse("sysops:sla_breach_report")
    assert customer_client.get(url).status_code == 404
    for client in (sysops_client, manager_client, admin_client_2fa):
        assert client.get(url).status_code == 200


def test_the_queue_and_the_console_link_to_it(sysops_client):
    url = reverse("sysops:sla_breach_report")
    for page in ("sysops:request_queue", "staff:home"):
        assert f'href="{url}"' in sysops_client.get(reverse(page)).content.decode()
