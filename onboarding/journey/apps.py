from django.apps import AppConfig


class JourneyConfig(AppConfig):
    name = "onboarding.journey"
    label = "journey"
