"""The weights and bands in the Django admin: one row, edits audited and validated field by
field, a change re-scoring everyone in the background."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from onboarding.audit.models import AuditEntry
from onboarding.health.models import HealthReview, HealthSettings
from onboarding.health.services import customer_health_recompute
from tests.health.conftest import overdue_invoice, strict_bands

pytestmark = pytest.mark.django_db

FORM = {
    "payment_weight": 30,
    "acceptance_weight": 20,
    "contract_weight": 15,
    "service_weight": 20,
    "card_weight": 10,
    "engagement_weight": 5,
    "red_below": 40,
    "green_from": 70,
}


def change_url() -> str:
    HealthSettings.objects.get_or_create(pk=1)
    return reverse("admin:health_healthsettings_change", args=[1])


def test_a_change_is_audited_and_rescores_everyone_in_the_background(
    admin_client_2fa, django_capture_on_commit_callbacks
):
    url = change_url()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_2fa.post(url, {**FORM, "card_weight": 25, "red_below": 50})
    assert response.status_code == 302
    settings = HealthSettings.objects.get()
    assert (settings.card_weight, settings.red_below) == (25, 50)
    entry = AuditEntry.objects.get(action="health.healthsettings_updated")
    assert entry.changes["card_weight"] == [10, 25]
    assert AuditEntry.objects.filter(action="health.rescore_started").exists()
    queued = DBTaskResult.objects.filter(task_path="onboarding.health.tasks.health_rescore_task")
    assert queued.count() == 1


def test_red_at_or_above_green_is_a_field_error_and_nothing_changes(admin_client_2fa):
    url = change_url()
    response = admin_client_2fa.post(url, {**FORM, "red_below": 80, "green_from": 70})
    assert response.status_code == 200
    assert "Green must start above the red threshold" in response.content.decode()
    assert HealthSettings.objects.get().red_below == 40
    assert not AuditEntry.objects.filter(action="health.healthsettings_updated").exists()


def test_a_weight_above_100_is_a_field_error(admin_client_2fa):
    response = admin_client_2fa.post(change_url(), {**FORM, "payment_weight": 101})
    assert response.status_code == 200
    assert "less than or equal to 100" in response.content.decode()


def test_there_is_one_row_never_added_twice_nor_deleted(admin_client_2fa):
    change_url()
    assert admin_client_2fa.get(reverse("admin:health_healthsettings_add")).status_code == 403
    delete = reverse("admin:health_healthsettings_delete", args=[1])
    assert admin_client_2fa.post(delete, {"post": "yes"}).status_code == 403
    assert HealthSettings.objects.count() == 1


def test_the_reviews_are_listed_and_shown_read_only(admin_client_2fa, contract):
    strict_bands()
    overdue_invoice(contract, days_late=34)
    customer_health_recompute(customer_id=contract.customer_id)
    review = HealthReview.objects.get(customer_id=contract.customer_id)
    listing = admin_client_2fa.get(reverse("admin:health_healthreview_changelist") + "?q=Compilers")
    assert listing.status_code == 200
    assert reverse("admin:health_healthreview_change", args=[review.pk]) in listing.text
    change = reverse("admin:health_healthreview_change", args=[review.pk])
    shown = admin_client_2fa.get(change)
    assert shown.status_code == 200
    assert review.reason in shown.text
    assert 'name="_save"' not in shown.text  # viewed, not edited
    refused = admin_client_2fa.post(change, {"state": "closed", "note": "edited"})
    assert refused.status_code == 403
    assert admin_client_2fa.get(reverse("admin:health_healthreview_add")).status_code == 403
    delete = reverse("admin:health_healthreview_delete", args=[review.pk])
    assert admin_client_2fa.post(delete, {"post": "yes"}).status_code == 403
    review.refresh_from_db()
    assert (review.state, review.note) == ("open", "")
