"""AuditedModelAdmin: the Django admin's edits of reference data (catalog, SLA terms, standard
requirements) go to the audit log with the fields they changed.

The action names the model's app and model: "catalog.plan_updated", "sla.slapolicy_deleted".
"""

from django.contrib import admin
from django.db import models
from django.forms.models import model_to_dict

from onboarding.audit.services import audit_diff, audit_record


def _action(item: models.Model, verb: str) -> str:
    return f"{item._meta.app_label}.{item._meta.model_name}_{verb}"


class AuditedModelAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change) -> None:
        before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        audit_record(
            action=_action(obj, "updated" if change else "created"),
            actor=request.user,
            target=obj,
            changes=audit_diff(before=before, after=model_to_dict(obj)),
        )

    def delete_model(self, request, obj) -> None:
        audit_record(action=_action(obj, "deleted"), actor=request.user, target=obj)
        super().delete_model(request, obj)
