import pytest

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import admin_alert_raise

API = "/api/v1/staff/alerts/"


@pytest.fixture
def alert(db) -> AdminAlert:
    return admin_alert_raise(
        reason="account_update_failed",
        message="Profile update for customer 5 failed",
        customer_id=5,
        context={"field": "address"},
    )


def test_staff_list_alerts_newest_first(sysops_client, alert):
    newer = admin_alert_raise(reason="invoice_missing", message="Invoice 2 missing")

    response = sysops_client.get(API)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [newer.pk, alert.pk]


def test_the_list_filters_by_reason_and_state(sysops_client, alert):
    admin_alert_raise(reason="invoice_missing", message="Invoice 2 missing")

    by_reason = sysops_client.get(API, {"reason": "account_update_failed"}).json()
    by_state = sysops_client.get(API, {"state": "resolved"}).json()

    assert [item["id"] for item in by_reason["items"]] == [alert.pk]
    assert by_state["count"] == 0


def test_an_unknown_state_filter_is_refused_not_a_500(sysops_client, alert):
    assert sysops_client.get(API, {"state": "exploded"}).status_code == 422


def test_one_alert_has_its_context(manager_client, alert):
    response = manager_client.get(f"{API}{alert.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["context"] == {"field": "address"}
    assert body["customer_id"] == 5
    assert body["state"] == "open"
    assert body["count"] == 1


@pytest.mark.parametrize("bad_id", ["999999", "abc", "1.5"])
def test_a_bad_id_is_not_found(sysops_client, admin_client_2fa, alert, bad_id):
    assert sysops_client.get(f"{API}{bad_id}").status_code == 404
    assert admin_client_2fa.post(f"{API}{bad_id}/acknowledge").status_code == 404
    assert (
        admin_client_2fa.post(f"{API}{bad_id}/resolve", content_type="application/json").status_code
        == 404
    )


def test_an_admin_acknowledges_then_resolves(admin_client_2fa, admin_user, alert):
    acknowledged = admin_client_2fa.post(f"{API}{alert.pk}/acknowledge")
    resolved = admin_client_2fa.post(
        f"{API}{alert.pk}/resolve", {"note": "address fixed"}, content_type="application/json"
    )

    assert acknowledged.status_code == 200
    assert acknowledged.json()["state"] == "acknowledged"
    assert acknowledged.json()["acknowledged_by"] == admin_user.email
    assert resolved.status_code == 200
    assert resolved.json()["state"] == "resolved"
    assert resolved.json()["resolution_note"] == "address fixed"


def test_resolve_needs_no_note(admin_client_2fa, alert):
    response = admin_client_2fa.post(f"{API}{alert.pk}/resolve", content_type="application/json")

    assert response.status_code == 200
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.RESOLVED


def test_an_illegal_move_is_a_conflict(admin_client_2fa, alert):
    admin_client_2fa.post(f"{API}{alert.pk}/resolve", content_type="application/json")

    response = admin_client_2fa.post(f"{API}{alert.pk}/acknowledge")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_other_staff_may_not_move_alerts(sysops_client, alert):
    response = sysops_client.post(f"{API}{alert.pk}/acknowledge")

    assert response.status_code == 403
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.OPEN


def test_customers_do_not_reach_the_alert_api(customer_client, alert):
    assert customer_client.get(API).status_code == 404
