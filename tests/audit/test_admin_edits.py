"""Admins' edits of reference data in the Django admin are audited under the model's own app:
created, updated (with the fields that changed) and deleted."""

import pytest

from onboarding.acceptance.models import RequirementTemplate
from onboarding.audit.models import AuditEntry
from tests.factories import plan_with_prices

pytestmark = pytest.mark.django_db


def test_a_standard_requirement_is_audited_under_acceptance_from_creation_to_deletion(
    admin_client_2fa,
):
    plan = plan_with_prices()
    form = {"plan": plan.pk, "title": "Backups verified", "criteria": "Restored", "position": 1}

    created = admin_client_2fa.post("/admin/acceptance/requirementtemplate/add/", form)
    template = RequirementTemplate.objects.get(title="Backups verified")
    changed = admin_client_2fa.post(
        f"/admin/acceptance/requirementtemplate/{template.pk}/change/",
        {**form, "title": "Backups restored"},
    )
    deleted = admin_client_2fa.post(
        f"/admin/acceptance/requirementtemplate/{template.pk}/delete/", {"post": "yes"}
    )

    assert [created.status_code, changed.status_code, deleted.status_code] == [302, 302, 302]
    entries = AuditEntry.objects.filter(object_id=str(template.pk)).order_by("id")
    assert [e.action for e in entries] == [
        "acceptance.requirementtemplate_created",
        "acceptance.requirementtemplate_updated",
        "acceptance.requirementtemplate_deleted",
    ]
    assert entries[1].changes["title"] == ["Backups verified", "Backups restored"]
    assert not RequirementTemplate.objects.exists()


def test_a_plan_edit_is_audited_under_catalog_with_what_changed(admin_client_2fa):
    plan = plan_with_prices()
    page = admin_client_2fa.get(f"/admin/catalog/plan/{plan.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name, "") if form.initial.get(name) is not None else ""
        for name in form.fields
    }
    data.update({name: "on" for name, value in data.items() if value is True})
    data = {k: v for k, v in data.items() if v is not False}
    data["name"] = "Renamed plan"
    for prefix in ("prices",):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    answer = admin_client_2fa.post(f"/admin/catalog/plan/{plan.pk}/change/", data)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="catalog.plan_updated")
    assert entry.changes["name"][1] == "Renamed plan"
