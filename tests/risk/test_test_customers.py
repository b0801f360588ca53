"""A test customer's risks (a customer bound to a test clock) are recorded and audited like any
other, but kept out of real operational reporting: the Redis Stream, the risk board with its
counts and live stream, the staff navigation's count and the staff API. A real customer's
unacknowledged red, raised beside it, still reaches all of them."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from config.staff_counts import staff_counts_count
from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.timers import timers_fire_due
from onboarding.accounts.models import Customer
from onboarding.audit.models import AuditEntry
from onboarding.core import clock
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.notifications.services import outbox_publish
from onboarding.risk.models import RiskEvent
from onboarding.risk.streams import RISK_TOPIC, redis_client
from onboarding.testclocks.services import clock_create
from tests.acceptance.conftest import active_contract, deliver_outbox


@pytest.fixture
def test_clock(admin_user):
    return clock_create(actor=admin_user, name="risk scope")


@pytest.fixture
def staff_web(sysops):
    client = Client()
    client.force_login(sysops)
    return client


def red_unacknowledged(sysops, *, number: str, test_clock=None) -> RiskEvent:
    """A red rating no manager acknowledges; its deadline passes (on the customer's clock if
    it is a test customer: real time never fires a test customer's timer)."""
    contract = active_contract(number=number)
    if test_clock is not None:
        Customer.objects.filter(pk=contract.customer_id).update(test_clock=test_clock)
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    deadline_passed = timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1)
    if test_clock is None:
        timers_fire_due(now=deadline_passed)
    else:
        with clock.simulated(test_clock.pk, deadline_passed):
            timers_fire_due()
    return RiskEvent.objects.get(contract=contract)


@pytest.fixture
def real_and_test(sysops, manager, test_clock) -> tuple[RiskEvent, RiskEvent]:
    real = red_unacknowledged(sysops, number="CTR-2026-000701")
    test = red_unacknowledged(sysops, number="CTR-2026-000702", test_clock=test_clock)
    return real, test


def test_a_test_customers_red_is_recorded_and_audited_but_not_streamed(
    redis_url, real_and_test, test_clock
):
    real, test = real_and_test
    assert (test.level, test.state) == ("red", "open")
    raised = AuditEntry.objects.get(action="risk.raised", customer_id=test.customer_id)
    assert raised.changes["test_clock_id"] == test_clock.pk
    assert raised.changes["event_id"] == str(test.event_id)

    deliver_outbox()
    entries = redis_client().xrange(settings.RISK_STREAM)
    assert [fields["id"] for _entry_id, fields in entries] == [str(real.event_id)]
    assert OutboxMessage.objects.filter(topic=RISK_TOPIC).count() == 1  # the real one's


def test_the_board_its_counts_and_its_live_stream_show_real_customers_only(
    staff_web, real_and_test, settings
):
    real, test = real_and_test
    page = staff_web.get("/staff/risk/").content.decode()
    assert f'id="risk-{real.pk}"' in page and f'id="risk-{test.pk}"' not in page

    counts = staff_web.get("/staff/risk/counts.json").json()
    assert counts["open"] == {"red": 1, "yellow": 0}
    assert sum(counts["red"]) <= 1  # the test one is on no day, whatever day its clock is at

    settings.RISK_BOARD_STREAM_SECONDS = 0  # one pass, then the stream ends
    body = b"".join(staff_web.get("/staff/risk/events?after=0").streaming_content).decode()
    assert body.count("event: risk\n") == 1
    assert str(real.event_id) in body and str(test.event_id) not in body


def test_a_resolved_test_risk_is_not_among_the_boards_recently_resolved(
    staff_web, real_and_test, sysops
):
    _real, test = real_and_test
    RiskEvent.objects.filter(pk=test.pk).update(
        state="resolved", resolved_at=timezone.now(), resolved_by=sysops, resolution_note="zzq"
    )
    assert "zzq" not in staff_web.get("/staff/risk/").content.decode()


def test_the_staff_navigation_counts_real_customers_risks_only(real_and_test):
    assert staff_counts_count()["risk"] == 1


def test_the_staff_api_lists_real_customers_risks_and_a_clocks_on_request(
    staff_web, real_and_test, test_clock
):
    real, test = real_and_test
    api = "/api/v1/staff/risk"
    assert [e["pk"] for e in staff_web.get(api).json()] == [real.pk]
    assert [e["pk"] for e in staff_web.get(f"{api}/events?after=0").json()] == [real.pk]
    assert staff_web.get(f"{api}/counts").json()["open"] == {"red": 1, "yellow": 0}

    assert [e["pk"] for e in staff_web.get(f"{api}?test_clock={test_clock.pk}").json()] == [test.pk]
    on_the_clock = staff_web.get(f"{api}/events?after=0&test_clock={test_clock.pk}").json()
    assert [e["pk"] for e in on_the_clock] == [test.pk]
    assert staff_web.get(f"{api}?test_clock=0").status_code == 422


def test_a_risk_message_stamped_with_a_test_clock_stays_off_the_stream(redis_url, test_clock):
    # One queued under a clock by other means than risk_event_raise (which queues none).
    with clock.simulated(test_clock.pk, timezone.now()):
        message = outbox_publish(
            topic=RISK_TOPIC,
            payload={"id": "7d1c2b8e-0000-4000-8000-000000000001", "type": "probe"},
            dedupe_key="risk:probe-on-a-clock",
        )
    deliver_outbox()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT  # delivered: nothing left to retry
    assert redis_client().xrange(settings.RISK_STREAM) == []
