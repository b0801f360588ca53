"""The Django admin shows Stripe's webhook events read-only, searchable by event id and type."""

import datetime as dt

import pytest
from django.urls import reverse

from onboarding.payments.models import StripeEvent, StripeEventStatus


@pytest.fixture
def events():
    made = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    failed = StripeEvent.objects.create(
        stripe_id="evt_failed_1",
        type="charge.refunded",
        stripe_created=made,
        payload={"id": "evt_failed_1"},
        status=StripeEventStatus.FAILED,
        attempts=2,
        last_error="RuntimeError: the database went away",
    )
    done = StripeEvent.objects.create(
        stripe_id="evt_done_2",
        type="payment_intent.succeeded",
        stripe_created=made,
        payload={"id": "evt_done_2"},
        status=StripeEventStatus.PROCESSED,
    )
    return failed, done


def test_the_list_shows_type_state_and_error(admin_client_2fa, events):
    page = admin_client_2fa.get(reverse("admin:payments_stripeevent_changelist")).content.decode()
    assert "evt_failed_1" in page and "evt_done_2" in page
    assert "Failed (to be retried)" in page
    assert "RuntimeError: the database went away" in page


def test_search_by_event_id_finds_only_that_event(admin_client_2fa, events):
    url = reverse("admin:payments_stripeevent_changelist")
    page = admin_client_2fa.get(url, {"q": "evt_done_2"}).content.decode()
    assert "evt_done_2" in page and "evt_failed_1" not in page


def test_search_by_type_finds_the_events_of_that_type(admin_client_2fa, events):
    url = reverse("admin:payments_stripeevent_changelist")
    page = admin_client_2fa.get(url, {"q": "charge.refunded"}).content.decode()
    assert "evt_failed_1" in page and "evt_done_2" not in page


def test_an_event_is_shown_read_only(admin_client_2fa, events):
    url = reverse("admin:payments_stripeevent_change", args=[events[0].pk])
    page = admin_client_2fa.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client_2fa.post(url, {"status": "processed"}).status_code == 403
    events[0].refresh_from_db()
    assert events[0].status == StripeEventStatus.FAILED


def test_no_event_can_be_added_or_deleted(admin_client_2fa, events):
    assert admin_client_2fa.get(reverse("admin:payments_stripeevent_add")).status_code == 403
    delete = reverse("admin:payments_stripeevent_delete", args=[events[1].pk])
    assert admin_client_2fa.post(delete, {"post": "yes"}).status_code == 403
    assert StripeEvent.objects.filter(pk=events[1].pk).exists()
