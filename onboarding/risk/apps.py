from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "onboarding.risk"
    label = "risk"
    verbose_name = "Risk reporting"

    def ready(self) -> None:
        # Risk events reach the Redis Stream through the outbox relay (network I/O, so the
        # handler is not transactional; the stream side dedupes by event id).
        from onboarding.notifications.registry import register_outbox_handler
        from onboarding.risk.streams import RISK_TOPIC, risk_event_publish

        register_outbox_handler(RISK_TOPIC, risk_event_publish)
