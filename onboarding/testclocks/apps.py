from django.apps import AppConfig


class TestClocksConfig(AppConfig):
    name = "onboarding.testclocks"
    label = "testclocks"
    verbose_name = "Test clocks"
