from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "onboarding.alerts"
    label = "alerts"

    def ready(self) -> None:
        # The relay publishes each message it gives up on; this consumer writes rows only, so
        # the relay runs it and records the delivery in one transaction (exactly once).
        from onboarding.alerts.subscribers import outbox_message_dead
        from onboarding.notifications.registry import register_outbox_handler
        from onboarding.notifications.relay import OUTBOX_DEAD_TOPIC

        register_outbox_handler(OUTBOX_DEAD_TOPIC, outbox_message_dead, transactional=True)
