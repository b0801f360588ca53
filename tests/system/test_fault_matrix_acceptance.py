"""The fault matrix, continued: the seed's SysOps failure lines (tests/system/test_fault_matrix.py
has the customer's). Each is caused for real and checked four ways: what the person sees, the
alert / risk event / soft-failure warning the seed asks for, the audit entry, and nothing partial
or lost once the fault is gone.

Requirements unknown                  active contract, no requirements captured by the deadline
Acceptance unacknowledged (green)     logged acceptance, no SysOps acknowledgement in time
Acceptance unacknowledged (yellow)    managers notified while the SMTP server is down, nobody acts
Acceptance unacknowledged (red)       as yellow, with Redis down when the risk event is raised
Rating not saved                      the database refuses the requirement's row
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from onboarding.acceptance.models import Requirement, Review, Timer
from onboarding.acceptance.requirements import requirement_add
from onboarding.acceptance.timers import timers_fire_due
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.contracts.transitions import contract_activated_publish
from onboarding.notifications.models import OutboxMessage, OutboxStatus
from onboarding.risk.models import RiskEvent
from tests.acceptance.conftest import active_contract
from tests.system.test_fault_matrix import database_refuses, mails_to, relay, smtp_stopped

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def overdue(seconds: int):
    return timezone.now() + timedelta(seconds=seconds + 1)


def acceptance_page(user, contract) -> str:
    return web(user).get(f"/staff/acceptance/contracts/{contract.pk}/").content.decode()


def test_requirements_unknown_is_a_risk_event(sysops):
    contract = active_contract()
    contract_activated_publish(contract=contract)
    relay()
    # 1. SysOps see it on the contract before the deadline.
    assert "No requirements captured yet" in acceptance_page(sysops, contract)
    # 2. The deadline passes: a risk event (the seed's "Product support requirements unknown"),
    # and the customer's full view puts it first, in red.
    assert timers_fire_due(now=overdue(settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS)) == 1
    view = web(sysops).get(f"/staff/customers/{contract.customer_id}/").content.decode()
    assert "support requirements still not captured" in view
    event = RiskEvent.objects.get()
    assert event.type == "requirements_unknown" and event.level == "red"
    # 3. Audited.
    assert AuditEntry.objects.filter(action="acceptance.requirements_unknown").count() == 1
    assert AuditEntry.objects.filter(action="risk.raised").count() == 1
    # 4. Exactly one event queued for the stream, and the timer is spent.
    assert OutboxMessage.objects.filter(topic="risk.raised").count() == 1
    assert Timer.objects.get().state == "fired"
    assert timers_fire_due(now=overdue(10 * settings.ACCEPTANCE_REQUIREMENTS_DUE_SECONDS)) == 0


def test_green_unacknowledged_is_a_soft_failure(sysops):
    contract = active_contract()
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="green")
    timers_fire_due(now=overdue(settings.ACCEPTANCE_GREEN_ACK_SECONDS))
    # 1. A warning on the contract and in the console.
    assert "was not acknowledged in time" in acceptance_page(sysops, contract)
    assert "data-overdue" in web(sysops).get("/staff/acceptance/").content.decode()
    # 2. No escalation: no risk event, no admin alert.
    assert not RiskEvent.objects.exists() and not AdminAlert.objects.exists()
    # 3. Audited as a failure.
    entry = AuditEntry.objects.get(action="acceptance.green_unacknowledged")
    assert entry.outcome == "failure"
    # 4. Acknowledging late still closes it; nothing is left pending.
    review = Review.objects.get()
    response = web(sysops).post(f"/staff/acceptance/reviews/{review.pk}/acknowledge/")
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == "accepted"
    assert not Timer.objects.filter(state="pending").exists()


@pytest.mark.django_db(transaction=True)
def test_yellow_unacknowledged_with_the_mail_server_down(smtp_mail, sysops, manager):
    contract = active_contract()
    with smtp_stopped(smtp_mail):
        requirement_add(
            contract=contract, actor=sysops, title="VPN", criteria="up", rating="yellow"
        )
        relay()
        email = OutboxMessage.objects.get(
            notification__kind="acceptance_escalation", channel="email"
        )
        assert email.status == OutboxStatus.RETRYING
        # The in-app copy did not wait for the mail server.
        in_app = OutboxMessage.objects.get(
            notification__kind="acceptance_escalation", channel="in_app"
        )
        assert in_app.status == OutboxStatus.SENT
        timers_fire_due(now=overdue(settings.ACCEPTANCE_YELLOW_ACK_SECONDS))
    # 1. The page says it went to the risk board.
    assert "No manager acknowledged this yellow rating in time" in acceptance_page(
        manager, contract
    )
    # 2. A yellow risk event.
    assert RiskEvent.objects.get().level == "yellow"
    # 3. Audited: the notification, and the missed acknowledgement.
    assert AuditEntry.objects.filter(action="acceptance.manager_notified").count() == 1
    assert AuditEntry.objects.filter(action="acceptance.manager_unacknowledged").count() == 1
    # 4. Once the server is back the manager's email arrives, once.
    relay(later=True)
    relay(later=True)
    assert len(mails_to(smtp_mail, manager.email, str(contract))) == 1


@pytest.mark.django_db(transaction=True)
def test_red_unacknowledged_with_redis_down(private_redis, sysops, manager):
    contract = active_contract()
    requirement_add(contract=contract, actor=sysops, title="VPN", criteria="up", rating="red")
    private_redis.stop()
    timers_fire_due(now=overdue(settings.ACCEPTANCE_RED_ACK_SECONDS))
    relay()
    # 1. Staff see the risk on the board even though Redis is down (the database is the stream).
    board = web(manager).get("/staff/risk/").content.decode()
    event = RiskEvent.objects.get()
    assert f'id="risk-{event.pk}"' in board
    assert "No manager acknowledged this red rating in time" in acceptance_page(manager, contract)
    # 2, 3. The red risk event and its audit entry.
    assert event.level == "red"
    assert AuditEntry.objects.filter(action="risk.raised").count() == 1
    # 4. It waits in the outbox and reaches the stream once Redis is back, once.
    message = OutboxMessage.objects.get(topic="risk.raised")
    assert message.status == OutboxStatus.RETRYING
    private_redis.start()
    relay(later=True)
    relay(later=True)
    entries = private_redis.client().xrange(settings.RISK_STREAM)
    assert [fields["id"] for _id, fields in entries] == [str(event.event_id)]


def test_rating_refused_by_the_database(sysops, admin_user):
    contract = active_contract()
    form = {"title": "Remote access", "criteria": "VPN up", "rating": "red"}
    with database_refuses(Requirement, "1 = 1", name="fault_requirement"):
        response = web(sysops).post(
            f"/staff/acceptance/contracts/{contract.pk}/requirements/", form
        )
    # 1. The person is told clearly, on the form.
    assert response.status_code == 422
    assert "could not be saved because of a fault on our side" in response.content.decode()
    # 2. An admin alert, 3. an audit entry for the failure.
    alert = AdminAlert.objects.get(reason="acceptance_failed")
    assert AuditEntry.objects.filter(outcome="failure").exists()
    assert alert.count == 1
    # 4. Nothing partial: no requirement, review, timer or notification; the same form then saves.
    assert not Requirement.objects.exists()
    assert not Review.objects.exists() and not Timer.objects.exists()
    assert (
        web(sysops)
        .post(f"/staff/acceptance/contracts/{contract.pk}/requirements/", form)
        .status_code
        == 302
    )
    assert Requirement.objects.count() == 1
