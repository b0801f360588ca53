from django.apps import AppConfig
from django.core.checks import register

from onboarding.billing.checks import check_seller_tax_id


class BillingConfig(AppConfig):
    name = "onboarding.billing"
    label = "billing"

    def ready(self) -> None:
        register(check_seller_tax_id, "billing", deploy=True)
        # Imported here because the subscriber needs the models, loaded only once apps are ready.
        # It writes rows only, so the relay runs it and records the delivery in one transaction.
        from onboarding.billing.subscribers import card_changed, payment_settled, refunded_outside
        from onboarding.notifications.registry import register_outbox_handler
        from onboarding.payments.methods import PAYMENT_METHOD_CHANGED_TOPIC
        from onboarding.payments.reconcile import PAYMENT_SETTLED_TOPIC
        from onboarding.payments.refunds import PAYMENT_REFUNDED_OUTSIDE_TOPIC

        register_outbox_handler(PAYMENT_SETTLED_TOPIC, payment_settled, transactional=True)
        register_outbox_handler(
            PAYMENT_REFUNDED_OUTSIDE_TOPIC, refunded_outside, transactional=True
        )
        register_outbox_handler(PAYMENT_METHOD_CHANGED_TOPIC, card_changed, transactional=True)
