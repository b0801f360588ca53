from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "onboarding.health"
    label = "health"
    verbose_name = "Customer health"
