from django.apps import AppConfig


class TaxConfig(AppConfig):
    name = "onboarding.tax"
    label = "tax"
    verbose_name = "Tax"
