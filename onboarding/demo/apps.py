from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "onboarding.demo"
    label = "demo"
    verbose_name = "Demo data"
