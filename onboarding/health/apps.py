from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "onboarding.health"
    label = "health"
    verbose_name = "Customer health"

    def ready(self) -> None:
        # A factor changed (follow.py publishes health.review): the consumer only writes rows,
        # so the relay runs it in the transaction that records its delivery (exactly once).
        from onboarding.health.follow import HEALTH_REVIEW_TOPIC, health_review_handle
        from onboarding.notifications.registry import register_outbox_handler

        register_outbox_handler(HEALTH_REVIEW_TOPIC, health_review_handle, transactional=True)

        # The risk board words health's risks in its reader's language (risk/reasons.py).
        from onboarding.health.explain import register_risk_wordings

        register_risk_wordings()
