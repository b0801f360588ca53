"""A request of a New York customer on service hours that follow the customer (docs/sla.md,
*Whose time zone*): its deadlines are counted and written in New York, on US holidays."""

import datetime as dt

import pytest
from django.urls import reverse

from onboarding.sla.models import ClockKind, PublicHoliday, ServiceHours, SlaClock
from tests.factories import complete_profile
from tests.sla.calendars import new_york
from tests.sysops.conftest import open_request
from tests.sysops.sla_terms import at, new_test_clock, plan_with_sla_terms, subscribe_on_clock

pytestmark = pytest.mark.django_db


def test_a_new_york_customers_request_is_due_and_shown_in_new_york(
    customer, customer_client, sysops_client
):
    plan = plan_with_sla_terms()
    ServiceHours.objects.update(follows_customer=True)
    PublicHoliday.objects.create(country="US", date=dt.date(2026, 7, 3), name="Independence Day")
    test_clock = new_test_clock()
    subscription = subscribe_on_clock(customer, plan, test_clock)
    complete_profile(subscription.customer, country="US", city="New York")
    with at(test_clock, new_york(2026, 7, 2, 16)):
        request = open_request(subscription)
    first = SlaClock.objects.of(request).get(kind=ClockKind.FIRST_RESPONSE)
    # Normal, 4 h: 2 h Thursday, Friday 3 July (observed) and the weekend closed, 2 h Monday.
    assert first.due_at == new_york(2026, 7, 6, 10)
    hours = (
        "Mon\u2013Fri 08:00\u201318:00 America/New_York, "
        "closed on public holidays in the United States"
    )
    for page in (
        customer_client.get(reverse("requests:detail", args=[request.pk])),
        sysops_client.get(reverse("sysops:request_detail", args=[request.pk])),
    ):
        text = page.content.decode()
        assert "6 July 2026, 10:00" in text and "(America/New_York)" in text
        assert hours in text
