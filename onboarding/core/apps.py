from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "onboarding.core"
    label = "core"
