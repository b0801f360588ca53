from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "onboarding.audit"
    label = "audit"
