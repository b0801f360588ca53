from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "onboarding.sla"
    label = "sla"
    verbose_name = "Service levels"
