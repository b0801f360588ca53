from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "onboarding.audit"
    label = "audit"

    def ready(self) -> None:
        # Registered here, not with the decorator on the model: onboarding.accounts.access
        # imports audit_record, so importing it from audit.models would be circular.
        from onboarding.accounts.access import access_rule
        from onboarding.accounts.roles import STAFF_ROLES
        from onboarding.audit.models import AuditEntry

        access_rule(owner=None, staff=STAFF_ROLES)(AuditEntry)
