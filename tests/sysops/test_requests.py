"""Repair and troubleshoot requests: opened by customers, worked by SysOps, notified, audited."""

import pytest
from django.urls import reverse

from onboarding.audit.models import AuditEntry
from onboarding.core.errors import Conflict, DomainError, Forbidden
from onboarding.core.roles import Role
from onboarding.notifications.models import Notification
from onboarding.sysops.models import REQUEST_MOVES, RequestStatus, ServiceRequest, UpdateKind
from onboarding.sysops.requests import service_request_queue
from onboarding.sysops.services import (
    service_request_assign,
    service_request_comment,
    service_request_move,
)
from tests.factories import UserFactory
from tests.sysops.conftest import open_request

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "repair",
    "severity": "high",
    "summary": "Printer on fire",
    "description": "Smoke coming out of the tray since the last firmware update.",
}


def _notices(user, kind: str):
    return Notification.objects.filter(recipient=user, kind=kind)


# --- Opening -----------------------------------------------------------------------------------


def test_a_customer_opens_a_request_from_the_portal(customer_client, subscription):
    response = customer_client.post(
        reverse("requests:new"), {**FORM, "subscription_id": subscription.pk}
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("requests:detail", args=[request.pk])
    assert (request.kind, request.severity, request.status) == ("repair", "high", "new")
    assert request.subscription == subscription
    assert AuditEntry.objects.filter(
        action="service_request.opened", customer_id=subscription.customer_id
    ).exists()


def test_opening_a_request_tells_the_customer_in_their_preferred_inbox(customer, subscription):
    customer.preferred_inbox = "in_app"
    customer.save(update_fields=["preferred_inbox"])
    request = open_request(subscription)
    notice = _notices(customer, "service_request.opened").get()
    assert notice.channels == ["in_app"]
    assert request.reference in notice.subject


def test_a_request_for_a_product_the_customer_does_not_have_is_refused(
    customer_client, subscription, other_subscription
):
    response = customer_client.post(
        reverse("requests:new"), {**FORM, "subscription_id": other_subscription.pk}
    )
    assert response.status_code == 422
    assert not ServiceRequest.objects.exists()


def test_a_customer_opens_a_request_through_the_api(customer_client, subscription):
    response = customer_client.post(
        "/api/v1/me/requests",
        {**FORM, "subscription_id": subscription.pk},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["reference"].startswith("REQ-")
    assert [u["kind"] for u in body["updates"]] == ["opened"]
    assert customer_client.get("/api/v1/me/requests").json()[0]["id"] == body["id"]


def test_the_api_refuses_an_unknown_severity(customer_client, subscription):
    response = customer_client.post(
        "/api/v1/me/requests",
        {**FORM, "severity": "apocalyptic", "subscription_id": subscription.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not ServiceRequest.objects.exists()


def test_staff_open_a_request_for_a_customer_who_phoned(sysops_client, sysops, subscription):
    response = sysops_client.post(
        "/api/v1/staff/requests",
        {**FORM, "customer_id": subscription.customer_id, "subscription_id": subscription.pk},
        content_type="application/json",
    )
    assert response.status_code == 201
    request = ServiceRequest.objects.get()
    assert (request.opened_by, request.source) == (sysops, "staff")


# --- Another customer's request ---------------------------------------------------------------


def test_a_customer_gets_404_for_another_customers_request_page(
    other_customer_client, subscription
):
    request = open_request(subscription)
    response = other_customer_client.get(reverse("requests:detail", args=[request.pk]))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="access.refused").exists()


def test_a_customer_never_reads_the_assigned_engineers_address(
    customer_client, sysops_client, subscription
):
    engineer = UserFactory(role=Role.SYSOPS, email="sam.engineer@staff.test")
    request = open_request(subscription)
    ServiceRequest.objects.filter(pk=request.pk).update(assignee=engineer)
    listed = customer_client.get("/api/v1/me/requests")
    one = customer_client.get(f"/api/v1/me/requests/{request.pk}")
    assert [row["assignee"] for row in listed.json()] == ["an engineer"]
    assert one.json()["assignee"] == "an engineer"
    assert "sam.engineer" not in listed.content.decode() + one.content.decode()
    # Staff read who has it, in the queue and on the request.
    queue = sysops_client.get("/api/v1/staff/requests").json()
    assert [row["assignee"] for row in queue["items"]] == [engineer.email]
    assert sysops_client.get(f"/api/v1/staff/requests/{request.pk}").json()["assignee"] == (
        engineer.email
    )


def test_a_customer_gets_404_for_another_customers_request_in_the_api(
    other_customer_client, subscription
):
    request = open_request(subscription)
    assert other_customer_client.get(f"/api/v1/me/requests/{request.pk}").status_code == 404
    reply = other_customer_client.post(
        f"/api/v1/me/requests/{request.pk}/comments",
        {"body": "Let me in"},
        content_type="application/json",
    )
    assert reply.status_code == 404
    assert not request.updates.filter(kind=UpdateKind.COMMENT).exists()


def test_a_customer_cannot_reply_to_another_customers_request_from_the_portal(
    other_customer_client, subscription
):
    request = open_request(subscription)
    response = other_customer_client.post(
        reverse("requests:detail", args=[request.pk]), {"body": "hello"}
    )
    assert response.status_code == 404
    assert not request.updates.filter(kind=UpdateKind.COMMENT).exists()


def test_customers_cannot_reach_the_staff_queue(customer_client, subscription):
    open_request(subscription)
    assert customer_client.get(reverse("sysops:request_queue")).status_code == 404
    assert customer_client.get("/api/v1/staff/requests").status_code == 404


# --- Working a request -------------------------------------------------------------------------


def test_assigning_a_request_audits_it_and_tells_the_customer(sysops, subscription):
    request = open_request(subscription)
    service_request_assign(request=request, assignee=sysops, actor=sysops)
    request.refresh_from_db()
    assert request.assignee == sysops
    entry = AuditEntry.objects.get(action="service_request.assigned")
    assert entry.changes == {"assignee": [None, sysops.email]}
    assert _notices(subscription.customer.user, "service_request.assigned").count() == 1


def test_a_request_can_only_be_assigned_to_staff(sysops, subscription, other_customer):
    request = open_request(subscription)
    with pytest.raises(DomainError):
        service_request_assign(request=request, assignee=other_customer, actor=sysops)


def test_a_customer_cannot_assign_their_own_request(customer, sysops, subscription):
    request = open_request(subscription)
    with pytest.raises(Forbidden):
        service_request_assign(request=request, assignee=sysops, actor=customer)


def test_every_status_change_notifies_the_customer_once(sysops, subscription):
    request = open_request(subscription)
    service_request_move(request=request, status="in_progress", actor=sysops)
    service_request_move(request=request, status="waiting_on_customer", actor=sysops, note="Logs?")
    service_request_move(request=request, status="in_progress", actor=sysops)
    notices = _notices(subscription.customer.user, "service_request.status")
    assert notices.count() == 3
    assert len({n.dedupe_key for n in notices}) == 3
    assert AuditEntry.objects.filter(action="service_request.status_changed").count() == 3


def test_resolving_records_when_and_closing_is_final(sysops, subscription):
    request = open_request(subscription)
    request = service_request_move(request=request, status="resolved", actor=sysops)
    assert request.resolved_at is not None
    request = service_request_move(request=request, status="closed", actor=sysops)
    assert request.closed_at is not None
    with pytest.raises(Conflict):
        service_request_move(request=request, status="in_progress", actor=sysops)


def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing(sysops, subscription):
    request = open_request(subscription)
    service_request_move(request=request, status="closed", actor=sysops)
    with pytest.raises(Conflict, match="closed cannot become resolved"):
        service_request_move(request=request, status="resolved", actor=sysops)
    request.refresh_from_db()
    assert request.status == "closed"
    assert AuditEntry.objects.filter(action="service_request.status_changed").count() == 1


@pytest.mark.parametrize("start", list(RequestStatus))
def test_allowed_moves_come_from_the_one_table(start):
    request = ServiceRequest(status=start)
    assert set(request.allowed_moves) == set(REQUEST_MOVES[start])


def test_the_staff_page_refuses_an_illegal_move_with_a_form_error(
    sysops_client, sysops, subscription
):
    request = open_request(subscription)
    service_request_move(request=request, status="closed", actor=sysops)
    response = sysops_client.post(
        reverse("sysops:request_move", args=[request.pk]), {"status": "in_progress"}
    )
    assert response.status_code == 422
    request.refresh_from_db()
    assert request.status == "closed"


def test_the_staff_api_refuses_an_illegal_move_with_409(sysops_client, sysops, subscription):
    request = open_request(subscription)
    service_request_move(request=request, status="closed", actor=sysops)
    response = sysops_client.post(
        f"/api/v1/staff/requests/{request.pk}/status",
        {"status": "resolved"},
        content_type="application/json",
    )
    assert response.status_code == 409


def test_staff_work_a_request_through_the_pages(sysops_client, sysops, subscription):
    request = open_request(subscription)
    detail = reverse("sysops:request_detail", args=[request.pk])
    assert sysops_client.get(detail).status_code == 200
    sysops_client.post(reverse("sysops:request_assign", args=[request.pk]), {"assignee": sysops.pk})
    sysops_client.post(
        reverse("sysops:request_comment", args=[request.pk]), {"body": "Looking at it now."}
    )
    sysops_client.post(
        reverse("sysops:request_move", args=[request.pk]),
        {"status": "resolved", "note": "Firmware rolled back."},
    )
    request.refresh_from_db()
    assert (request.assignee, request.status) == (sysops, "resolved")
    kinds = list(request.updates.values_list("kind", flat=True))
    assert kinds == ["opened", "assigned", "comment", "status"]


def test_internal_notes_stay_with_staff(customer_client, sysops, subscription):
    request = open_request(subscription)
    service_request_comment(request=request, actor=sysops, body="Customer is grumpy", internal=True)
    page = customer_client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    api = customer_client.get(f"/api/v1/me/requests/{request.pk}").json()
    assert "grumpy" not in page
    assert all(not u["internal"] for u in api["updates"])
    assert not _notices(subscription.customer.user, "service_request.comment").exists()


def test_a_staff_reply_reaches_the_customer_without_naming_the_engineer(
    customer_client, sysops, subscription
):
    request = open_request(subscription)
    service_request_comment(request=request, actor=sysops, body="Try turning it off and on.")
    assert _notices(subscription.customer.user, "service_request.comment").count() == 1
    api = customer_client.get(f"/api/v1/me/requests/{request.pk}").json()
    assert api["updates"][-1]["author"] == "SysOps"
    assert (
        sysops.email
        not in customer_client.get(reverse("requests:detail", args=[request.pk])).content.decode()
    )


def test_a_customer_reply_puts_a_waiting_request_back_in_progress(
    customer_client, sysops, subscription
):
    request = open_request(subscription)
    service_request_assign(request=request, assignee=sysops, actor=sysops)
    service_request_move(request=request, status="waiting_on_customer", actor=sysops)
    response = customer_client.post(
        reverse("requests:detail", args=[request.pk]), {"body": "Here are the logs."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "in_progress"
    assert _notices(sysops, "service_request.staff_comment").count() == 1


def test_customers_cannot_write_internal_notes(customer, subscription):
    request = open_request(subscription)
    with pytest.raises(Forbidden):
        service_request_comment(request=request, actor=customer, body="psst", internal=True)


def test_a_closed_request_takes_no_more_replies(customer, sysops, subscription):
    request = open_request(subscription)
    service_request_move(request=request, status="closed", actor=sysops)
    with pytest.raises(Conflict):
        service_request_comment(request=request, actor=customer, body="One more thing")


# --- The queue ---------------------------------------------------------------------------------


def test_the_queue_puts_critical_first_then_the_longest_waiting(sysops, subscription):
    low = open_request(subscription, severity="low")
    normal = open_request(subscription, severity="normal")
    critical = open_request(subscription, severity="critical")
    assert list(service_request_queue(user=sysops)) == [critical, normal, low]


def test_the_queue_filters_by_status_severity_and_assignee(sysops_client, sysops, subscription):
    mine = open_request(subscription, severity="high", summary="Mine")
    open_request(subscription, severity="high", summary="Nobody's")
    open_request(subscription, severity="low", summary="Low")
    service_request_assign(request=mine, assignee=sysops, actor=sysops)
    page = sysops_client.get(
        reverse("sysops:request_queue"), {"severity": "high", "assignee": "me", "status": "open"}
    )
    assert [r.summary for r in page.context["page"]] == ["Mine"]
    api = sysops_client.get("/api/v1/staff/requests", {"assignee": "none"}).json()
    assert {r["summary"] for r in api["items"]} == {"Nobody's", "Low"}


def test_closed_requests_leave_the_default_queue(sysops_client, sysops, subscription):
    request = open_request(subscription)
    service_request_move(request=request, status="closed", actor=sysops)
    assert list(sysops_client.get(reverse("sysops:request_queue")).context["page"]) == []
    closed = sysops_client.get(reverse("sysops:request_queue"), {"status": "closed"})
    assert list(closed.context["page"]) == [request]


def test_a_manager_may_be_assigned_too(sysops, subscription):
    manager = UserFactory(role=Role.MANAGER)
    request = service_request_assign(
        request=open_request(subscription), assignee=manager, actor=sysops
    )
    assert request.assignee == manager
