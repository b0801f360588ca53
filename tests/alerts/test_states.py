import pytest

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import (
    admin_alert_acknowledge,
    admin_alert_raise,
    admin_alert_resolve,
)
from onboarding.audit.models import AuditEntry
from onboarding.core.errors import Conflict, Forbidden, NotFound


@pytest.fixture
def alert(db) -> AdminAlert:
    return admin_alert_raise(reason="contract_incomplete", message="Contract 3 has no PDF")


def test_an_admin_acknowledges_an_open_alert(alert, admin_user):
    acknowledged = admin_alert_acknowledge(alert_id=alert.pk, actor=admin_user)

    assert acknowledged.state == AlertState.ACKNOWLEDGED
    assert acknowledged.acknowledged_by == admin_user
    assert acknowledged.acknowledged_at is not None
    entry = AuditEntry.objects.get(action="alert.acknowledged")
    assert entry.actor == admin_user
    assert entry.changes == {"state": ["open", "acknowledged"]}


def test_an_admin_resolves_an_acknowledged_alert_with_a_note(alert, admin_user):
    admin_alert_acknowledge(alert_id=alert.pk, actor=admin_user)

    resolved = admin_alert_resolve(alert_id=alert.pk, actor=admin_user, note="re-generated")

    assert resolved.state == AlertState.RESOLVED
    assert resolved.resolved_by == admin_user
    assert resolved.resolution_note == "re-generated"
    assert resolved.dedupe_key is None
    assert AuditEntry.objects.filter(action="alert.resolved", message="re-generated").exists()


def test_an_open_alert_can_be_resolved_without_acknowledging(alert, admin_user):
    resolved = admin_alert_resolve(alert_id=alert.pk, actor=admin_user)

    assert resolved.state == AlertState.RESOLVED


def test_acknowledging_twice_is_a_conflict(alert, admin_user):
    admin_alert_acknowledge(alert_id=alert.pk, actor=admin_user)

    with pytest.raises(Conflict):
        admin_alert_acknowledge(alert_id=alert.pk, actor=admin_user)


@pytest.mark.parametrize("move", [admin_alert_acknowledge, admin_alert_resolve])
def test_a_resolved_alert_cannot_move_again(alert, admin_user, move):
    admin_alert_resolve(alert_id=alert.pk, actor=admin_user)

    with pytest.raises(Conflict):
        move(alert_id=alert.pk, actor=admin_user)
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.RESOLVED


@pytest.mark.parametrize("role_fixture", ["sysops", "manager"])
def test_only_an_admin_may_move_an_alert(alert, request, role_fixture):
    user = request.getfixturevalue(role_fixture)

    with pytest.raises(Forbidden):
        admin_alert_acknowledge(alert_id=alert.pk, actor=user)

    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.OPEN
    refusal = AuditEntry.objects.get(action="alert.acknowledged")
    assert refusal.outcome == "refused"
    assert refusal.actor == user


def test_moving_an_unknown_alert_is_not_found(db, admin_user):
    with pytest.raises(NotFound):
        admin_alert_acknowledge(alert_id=999999, actor=admin_user)
    with pytest.raises(NotFound):
        admin_alert_resolve(alert_id="nonsense", actor=admin_user)
