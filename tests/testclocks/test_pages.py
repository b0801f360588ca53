"""The staff pages for test clocks: admins only; test customers are marked TEST wherever staff
see them; bad input is shown at its field."""

import pytest
from django.test import Client

from onboarding.accounts.models import TestClock
from onboarding.core.roles import Role
from onboarding.testclocks.services import ClockCustomerIn, clock_create, clock_customer_create
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_an_admin_creates_a_clock_on_the_page(page):
    answer = page.post(
        "/staff/test-clocks/", {"name": "Page clock", "frozen_time": "2027-05-01T10:00"}
    )

    created = TestClock.objects.get(name="Page clock")
    assert answer.status_code == 302 and answer["Location"] == f"/staff/test-clocks/{created.pk}/"
    assert created.frozen_time.isoformat() == "2027-05-01T10:00:00+00:00"
    assert "Page clock" in page.get("/staff/test-clocks/").content.decode()


def test_a_test_customer_is_marked_test_on_the_clock_and_in_the_customer_view(page, admin):
    test_clock = clock_create(actor=admin, name="Marked")
    customer = clock_customer_create(
        actor=admin, clock_id=test_clock.pk, data=ClockCustomerIn(email="marked@example.test")
    )

    detail = page.get(f"/staff/test-clocks/{test_clock.pk}/").content.decode()
    overview = page.get(f"/staff/customers/{customer.pk}/").content.decode()

    assert "marked@example.test" in detail and "test_clock.customer_created" in detail
    assert "data-test-customer" in overview


def test_a_bad_advance_is_shown_at_its_field_and_the_clock_stays(page, admin):
    test_clock = clock_create(actor=admin, name="Stays")

    answer = page.post(f"/staff/test-clocks/{test_clock.pk}/advance", {"to": "2001-01-01T00:00"})

    assert answer.status_code == 400
    assert "A clock only moves forward" in answer.content.decode()
    test_clock.refresh_from_db()
    assert test_clock.status == "ready" and test_clock.target_time is None


def test_other_staff_are_refused_the_pages():
    client = Client()
    client.force_login(staff_user(Role.MANAGER))
    assert client.get("/staff/test-clocks/").status_code == 403


def test_what_happened_links_each_entry_to_its_test_customer_and_leaves_others_out(page, admin):
    test_clock = clock_create(actor=admin, name="Linked")
    customer = clock_customer_create(
        actor=admin, clock_id=test_clock.pk, data=ClockCustomerIn(email="linked@example.test")
    )
    other = clock_create(actor=admin, name="Elsewhere")
    clock_customer_create(
        actor=admin, clock_id=other.pk, data=ClockCustomerIn(email="elsewhere@example.test")
    )

    detail = page.get(f"/staff/test-clocks/{test_clock.pk}/").content.decode()

    link = f'<a href="/staff/customers/{customer.pk}/">{customer.reference}</a>'
    assert detail.count(link) >= 3  # its creation, its profile, its card, ...
    assert "elsewhere@example.test" not in detail and "Elsewhere" not in detail
    events = page.get(f"/api/v1/staff/test-clocks/{test_clock.pk}/events").json()
    assert {e["customer_reference"] for e in events} == {customer.reference, ""}
    assert events[-1]["action"] == "test_clock.created"
