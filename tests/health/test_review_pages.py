"""The review page under /staff/health/reviews/<id>/ and its API: every staff role reads it,
managers acknowledge and choose the next action (htmx or a plain post), SysOps are refused,
bad input shows field errors and changes nothing; the queue and the customer's health card
link the live review."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.health.models import HealthReview, ReviewState
from tests.health.test_reviews import fall_into_red

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def review(contract, manager):
    return fall_into_red(contract)


def test_every_staff_role_reads_the_review_with_the_score_and_factors(review, sysops_client):
    page = sysops_client.get(reverse("health:review", args=[review.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-review-state="open"' in html
    assert "Health 60 (red). Payment -30" in html
    assert 'data-health-score="60"' in html  # the card, with its costliest factors
    assert 'id="next-action-clock" data-overdue="false"' in html
    assert "(2\xa0days, 23\xa0hours left)" in html or "(3\xa0days left)" in html
    assert 'id="managers-only"' in html and 'id="act-form"' not in html


def test_a_manager_acknowledges_with_htmx_and_gets_the_panel_back(review, manager_client):
    answer = manager_client.post(reverse("health:review_acknowledge", args=[review.pk]), **HTMX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.lstrip().startswith("{#") or 'id="review-panel"' in html
    assert 'data-review-state="acknowledged"' in html
    assert "Acknowledged; choose the next action." in html
    review.refresh_from_db()
    assert review.state == ReviewState.ACKNOWLEDGED


def test_a_manager_chooses_the_next_action_by_a_plain_post(review, manager_client, sysops):
    due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    answer = manager_client.post(
        reverse("health:review_act", args=[review.pk]),
        {"action": "offer", "owner": sysops.pk, "due": due, "note": "10% for 3 months"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("health:review", args=[review.pk])
    review.refresh_from_db()
    assert (review.state, review.action, review.owner_id) == ("acted", "offer", sysops.pk)
    page = manager_client.get(answer["Location"]).content.decode()
    assert 'data-step="acted"' in page and "10% for 3 months" in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"action": "contact", "due": "2999-01-01"}, "Choose who will do it."),
        ({"action": "escalate"}, "Say why it is escalated."),
        ({"action": "offer", "owner": "1", "due": "not a date"}, "Enter a valid date."),
        ({"action": "nonsense"}, "Select a valid choice."),
    ],
)
def test_bad_input_gives_a_field_error_and_changes_nothing(review, manager_client, data, error):
    answer = manager_client.post(reverse("health:review_act", args=[review.pk]), data, **HTMX)
    assert answer.status_code == 422
    assert error in answer.content.decode()
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN and review.action == ""


def test_sysops_are_refused_the_managers_actions(review, sysops_client):
    ack = sysops_client.post(reverse("health:review_acknowledge", args=[review.pk]))
    act = sysops_client.post(
        reverse("health:review_act", args=[review.pk]), {"action": "accept_risk", "note": "x"}
    )
    assert (ack.status_code, act.status_code) == (403, 403)
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN


def test_acting_on_a_closed_review_says_so(review, manager_client):
    HealthReview.objects.filter(pk=review.pk).update(state=ReviewState.CLOSED)
    answer = manager_client.post(
        reverse("health:review_act", args=[review.pk]),
        {"action": "accept_risk", "note": "Late"},
        **HTMX,
    )
    assert answer.status_code == 422
    assert "nothing more can be done on it" in answer.content.decode()


def test_an_unknown_review_is_404(manager_client):
    assert manager_client.get(reverse("health:review", args=[987654])).status_code == 404


def test_the_queue_and_the_customer_card_link_the_live_review(review, contract, manager_client):
    queue = manager_client.get(reverse("health:queue")).content.decode()
    assert f'data-review-link="{review.pk}"' in queue
    view = manager_client.get(reverse("sysops:customer", args=[contract.customer_id]))
    html = view.content.decode()
    assert 'id="health-review-link" data-review-state="open"' in html
    assert reverse("health:review", args=[review.pk]) in html


def test_an_overdue_next_action_is_shown_overdue(review, sysops_client):
    HealthReview.objects.filter(pk=review.pk).update(
        ack_due_at=timezone.now() - dt.timedelta(hours=2),
        action_due_at=timezone.now() - dt.timedelta(hours=1),
    )
    html = sysops_client.get(reverse("health:review", args=[review.pk])).content.decode()
    assert 'data-overdue="true"' in html and "Overdue" in html


# --- the API -------------------------------------------------------------------------------------


def test_the_customer_health_api_carries_the_review(review, contract, sysops_client):
    body = sysops_client.get(f"/api/v1/staff/customers/{contract.customer_id}/health").json()
    assert body["review"]["id"] == review.pk
    assert body["review"]["state"] == "open" and body["review"]["score"] == 60
    assert body["review"]["overdue"] is False


def test_the_api_acknowledges_and_acts(review, manager_client, sysops):
    base = f"/api/v1/staff/health/reviews/{review.pk}"
    assert manager_client.get(base).json()["state"] == "open"
    acked = manager_client.post(f"{base}/acknowledge")
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    due = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    acted = manager_client.post(
        f"{base}/actions",
        {"action": "contact", "owner_id": sysops.pk, "due": due, "note": "Call"},
        content_type="application/json",
    )
    assert acted.status_code == 200, acted.content
    body = acted.json()
    assert (body["state"], body["action"], body["owner"], body["due"]) == (
        "acted",
        "contact",
        sysops.email,
        due,
    )
    again = manager_client.post(f"{base}/acknowledge")
    assert again.status_code == 409


def test_the_api_refuses_sysops_and_bad_input(review, manager_client, sysops_client):
    base = f"/api/v1/staff/health/reviews/{review.pk}"
    assert sysops_client.post(f"{base}/acknowledge").status_code == 403
    missing = manager_client.post(
        f"{base}/actions", {"action": "contact"}, content_type="application/json"
    )
    assert missing.status_code == 409 and "owner" in missing.content.decode()
    unknown_owner = manager_client.post(
        f"{base}/actions",
        {"action": "contact", "owner_id": 987654, "due": "2999-01-01"},
        content_type="application/json",
    )
    assert unknown_owner.status_code == 409 and "owner_id" in unknown_owner.content.decode()
    wrong = manager_client.post(
        f"{base}/actions", {"action": "shout"}, content_type="application/json"
    )
    assert wrong.status_code == 422
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN


def test_a_fault_of_ours_says_so_alerts_an_admin_and_changes_nothing(review, manager_client):
    from onboarding.alerts.models import AdminAlert
    from tests.system.test_fault_matrix import database_refuses

    with database_refuses(HealthReview, "{row}state = 'acted'", name="fault_health_review"):
        answer = manager_client.post(
            reverse("health:review_act", args=[review.pk]),
            {"action": "accept_risk", "note": "Known"},
            **HTMX,
        )
    assert answer.status_code == 422
    assert "could not be saved because of a fault on our side" in answer.content.decode()
    assert AdminAlert.objects.filter(reason="health_review_failed").count() == 1
    review.refresh_from_db()
    assert review.state == ReviewState.OPEN and review.action == ""
