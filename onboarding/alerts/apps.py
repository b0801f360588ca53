from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "onboarding.alerts"
    label = "alerts"
