from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "onboarding.billing"
    label = "billing"
