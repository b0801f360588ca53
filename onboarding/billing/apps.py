from django.apps import AppConfig
from django.core.checks import register

from onboarding.billing.checks import check_seller_tax_id


class BillingConfig(AppConfig):
    name = "onboarding.billing"
    label = "billing"

    def ready(self) -> None:
        register(check_seller_tax_id, "billing", deploy=True)
