from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "onboarding.payments"
    label = "payments"
