from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "onboarding.contracts"
    label = "contracts"
    verbose_name = "Contracts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here because the subscriber needs the models, loaded only once apps are ready.
        # It writes rows only (a queued task), so the relay runs it and records the delivery in
        # one transaction.
        from onboarding.billing.charging import INVOICE_FIRST_PAID_TOPIC
        from onboarding.billing.plan_settle import SUBSCRIPTION_TERMS_CHANGED_TOPIC
        from onboarding.contracts.subscribers import invoice_first_paid, subscription_terms_changed
        from onboarding.notifications.registry import register_outbox_handler

        register_outbox_handler(INVOICE_FIRST_PAID_TOPIC, invoice_first_paid, transactional=True)
        register_outbox_handler(
            SUBSCRIPTION_TERMS_CHANGED_TOPIC, subscription_terms_changed, transactional=True
        )
