"""Days left in a contract's term: one rule (calendar days from today to the term's end date, both
in the business time zone), and every page and API that shows it shows the same number."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.contracts.models import Contract
from onboarding.sysops.overview import customer_overview

pytestmark = pytest.mark.django_db

TAGS = re.compile(r"<[^>]+>")
DAYS = re.compile(r"(-?\d+)\s+days?\b")


def _end_at(contract: Contract, local_end: datetime) -> Contract:
    # Stand the contract at a point in its term (a test arrangement of dates, not a workflow).
    Contract.objects.filter(pk=contract.pk).update(
        term_start=local_end - timedelta(days=365), term_end=local_end
    )
    return Contract.objects.get(pk=contract.pk)


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def _day_counts(html: bytes) -> set[int]:
    """Every "N days" the page says, tags removed."""
    text = TAGS.sub(" ", html.decode())
    return {int(number) for number in DAYS.findall(" ".join(text.split()))}


def test_days_left_counts_calendar_days_to_the_end_date(delivered):
    contract = _end_at(delivered, _local(date(2027, 3, 10), time(0, 30)))
    assert contract.days_left(today=date(2027, 3, 1)) == 9
    assert contract.days_left(today=date(2027, 3, 10)) == 0  # its last day
    assert contract.days_left(today=date(2027, 3, 12)) == -2


def test_the_end_date_is_the_business_time_zones_date(settings, delivered):
    # 23:30 UTC on 9 March is 10 March in Berlin: the term ends on the 10th there.
    settings.TIME_ZONE = "Europe/Berlin"
    end = datetime(2027, 3, 9, 23, 30, tzinfo=UTC)
    Contract.objects.filter(pk=delivered.pk).update(
        term_start=end - timedelta(days=365), term_end=end
    )
    contract = Contract.objects.get(pk=delivered.pk)
    assert contract.ends_on == date(2027, 3, 10)
    assert contract.days_left(today=date(2027, 3, 9)) == 1


# UTC, and a zone whose date differs from UTC's for most of the day (UTC+14): an end just after
# local midnight is where "whole 24 hours left" and "UTC dates" each gave another number.
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"])
def test_every_page_and_api_shows_the_same_days_left(
    settings, zone, delivered, buyer_client, sysops_client
):
    settings.TIME_ZONE = zone
    expected = 100
    contract = _end_at(
        delivered, _local(timezone.localdate() + timedelta(days=expected), time(0, 5))
    )
    assert contract.days_left() == expected

    pages = {
        "customer contract": buyer_client.get(reverse("contracts:detail", args=[contract.pk])),
        "customer contracts": buyer_client.get(reverse("contracts:list")),
        "staff contract": sysops_client.get(reverse("contracts_staff:detail", args=[contract.pk])),
        "staff contracts": sysops_client.get(reverse("contracts_staff:list")),
        "customer view": sysops_client.get(reverse("sysops:customer", args=[contract.customer_id])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        counts = _day_counts(response.content)
        assert expected in counts, (name, counts)
        assert not {expected - 1, expected + 1} & counts, (name, counts)

    mine = buyer_client.get(f"/api/v1/me/contracts/{contract.pk}").json()
    staff = sysops_client.get(f"/api/v1/staff/contracts/{contract.pk}").json()
    overview = sysops_client.get(f"/api/v1/staff/customers/{contract.customer_id}/overview").json()
    assert mine["days_to_expiry"] == expected
    assert staff["days_to_expiry"] == expected
    assert [line["days_left"] for line in overview["contracts"]] == [expected]


def test_age_counts_calendar_days_since_the_issue_date(settings, delivered):
    # Issued yesterday afternoon, read this morning: one day old everywhere, not "0 days" on
    # one page (whole 24 hours) and "1 day" on another (calendar days).
    settings.TIME_ZONE = "Europe/Berlin"
    issued = datetime(2027, 3, 9, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
    Contract.objects.filter(pk=delivered.pk).update(issued_at=issued)
    contract = Contract.objects.get(pk=delivered.pk)
    assert contract.issued_on == date(2027, 3, 9)
    assert contract.days_since_issue(today=date(2027, 3, 10)) == 1
    assert contract.days_since_issue(today=date(2027, 3, 9)) == 0


def test_the_customer_view_and_the_contract_pages_give_the_same_age(delivered, buyer_client):
    contract = Contract.objects.get(pk=delivered.pk)
    issued = timezone.now() - timedelta(days=3, hours=20)
    Contract.objects.filter(pk=contract.pk).update(issued_at=issued)
    contract.refresh_from_db()
    overview = customer_overview(customer=contract.customer)
    line = next(k for k in overview.contracts if k.contract_id == contract.pk)
    assert line.age_days == contract.age_days == contract.days_since_issue()
    page = buyer_client.get(reverse("contracts:detail", args=[contract.pk]))
    assert f"({contract.age_days} days ago)" in page.content.decode()
