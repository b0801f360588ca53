from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "onboarding.payments"
    label = "payments"

    def ready(self) -> None:
        # Imported here because the consumer needs the models, loaded only once apps are ready.
        # Not transactional: it runs its own transaction, and records a failure outside it.
        from onboarding.notifications.registry import register_outbox_handler
        from onboarding.payments.stripe_events import STRIPE_EVENT_TOPIC, stripe_event_deliver

        register_outbox_handler(STRIPE_EVENT_TOPIC, stripe_event_deliver)
