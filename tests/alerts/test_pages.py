import pytest
from django.utils import timezone

from onboarding.alerts.models import AdminAlert, AlertState
from onboarding.alerts.services import admin_alert_acknowledge, admin_alert_raise
from onboarding.alerts.views import PAGE_SIZE


@pytest.fixture
def alert(db) -> AdminAlert:
    return admin_alert_raise(
        reason="payment_incomplete",
        message="Payment for invoice 12 was declined twice",
        object_type="alerts.adminalert",
        object_id="0",
        context={"invoice": 12, "decline_code": "insufficient_funds"},
        severity="critical",
    )


def test_staff_see_the_alert_list_newest_first_with_counts(sysops_client, alert):
    newer = admin_alert_raise(reason="invoice_missing", message="Invoice 13 missing")

    response = sysops_client.get("/staff/alerts/")

    assert response.status_code == 200
    page = response.context["page"]
    assert [a.pk for a in page] == [newer.pk, alert.pk]
    assert ("open", "Open", 2) in response.context["state_counts"]
    assert ("critical", 1, "red") in response.context["severity_counts"]
    assert b"Payment for invoice 12" in response.content


def test_the_list_filters_by_state_severity_and_reason(manager_client, alert, admin_user):
    other = admin_alert_raise(reason="invoice_missing", message="Invoice 13 missing")
    admin_alert_acknowledge(alert_id=other.pk, actor=admin_user)

    by_state = manager_client.get("/staff/alerts/", {"state": "acknowledged"})
    by_severity = manager_client.get("/staff/alerts/", {"severity": "critical"})
    by_reason = manager_client.get("/staff/alerts/", {"reason": "invoice_missing"})
    unknown = manager_client.get("/staff/alerts/", {"state": "exploded"})

    assert [a.pk for a in by_state.context["page"]] == [other.pk]
    assert [a.pk for a in by_severity.context["page"]] == [alert.pk]
    assert [a.pk for a in by_reason.context["page"]] == [other.pk]
    assert unknown.status_code == 200
    assert len(unknown.context["page"]) == 2


def test_the_list_is_paginated(sysops_client, db):
    for n in range(PAGE_SIZE + 3):
        admin_alert_raise(reason="bulk", message=f"failure {n}", object_id=str(n))

    first = sysops_client.get("/staff/alerts/")
    second = sysops_client.get("/staff/alerts/", {"page": 2})

    assert len(first.context["page"]) == PAGE_SIZE
    assert len(second.context["page"]) == 3
    assert b"page=2" in first.content


def test_the_detail_page_shows_context_and_object_link(sysops_client, alert):
    response = sysops_client.get(f"/staff/alerts/{alert.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "&quot;decline_code&quot;: &quot;insufficient_funds&quot;" in body
    assert 'class="object-link" href="/staff/alerts/0/"' not in body  # no such alert: no link
    assert "alerts.adminalert:0" in body
    assert "Only an admin can acknowledge or resolve" in body
    assert "/acknowledge" not in body


def test_the_detail_page_links_a_known_object(sysops_client, alert):
    about = admin_alert_raise(reason="follow_up", message="About another alert", target=alert)

    response = sysops_client.get(f"/staff/alerts/{about.pk}/")

    assert f'class="object-link" href="/staff/alerts/{alert.pk}/"' in response.content.decode()


def test_an_admin_sees_the_buttons(admin_client_2fa, alert):
    response = admin_client_2fa.get(f"/staff/alerts/{alert.pk}/")

    assert f"/staff/alerts/{alert.pk}/acknowledge".encode() in response.content
    assert f"/staff/alerts/{alert.pk}/resolve".encode() in response.content


def test_an_admin_acknowledges_from_the_page(admin_client_2fa, alert):
    response = admin_client_2fa.post(f"/staff/alerts/{alert.pk}/acknowledge")

    assert response.status_code == 302
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.ACKNOWLEDGED


def test_an_htmx_resolve_answers_the_actions_fragment(admin_client_2fa, alert):
    response = admin_client_2fa.post(
        f"/staff/alerts/{alert.pk}/resolve",
        {"note": "card updated"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="alert-actions">')
    assert "card updated" in body
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.RESOLVED


def test_an_illegal_move_from_the_page_says_why(admin_client_2fa, alert):
    admin_client_2fa.post(f"/staff/alerts/{alert.pk}/resolve")

    response = admin_client_2fa.post(
        f"/staff/alerts/{alert.pk}/acknowledge", headers={"HX-Request": "true"}
    )

    assert "An alert that is resolved cannot become acknowledged." in response.content.decode()
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.RESOLVED


@pytest.mark.parametrize("client_fixture", ["sysops_client", "manager_client"])
def test_other_staff_cannot_acknowledge_from_the_page(request, client_fixture, alert):
    client = request.getfixturevalue(client_fixture)

    response = client.post(f"/staff/alerts/{alert.pk}/acknowledge")

    assert response.status_code == 403
    assert b"Only an admin may do this." in response.content
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.OPEN


def test_customers_do_not_reach_the_alert_pages(customer_client, alert):
    assert customer_client.get("/staff/alerts/").status_code == 404
    assert customer_client.get(f"/staff/alerts/{alert.pk}/").status_code == 404


def test_an_unknown_alert_page_is_not_found(sysops_client, db):
    assert sysops_client.get("/staff/alerts/999999/").status_code == 404
    assert sysops_client.get("/staff/alerts/abc/").status_code == 404


def test_acknowledging_needs_a_post(admin_client_2fa, alert):
    response = admin_client_2fa.get(f"/staff/alerts/{alert.pk}/acknowledge")

    assert response.status_code == 405
    assert AdminAlert.objects.get(pk=alert.pk).last_seen_at <= timezone.now()
    assert AdminAlert.objects.get(pk=alert.pk).state == AlertState.OPEN
