from django.apps import AppConfig


class AcceptanceConfig(AppConfig):
    name = "onboarding.acceptance"
    label = "acceptance"
    verbose_name = "Service acceptance"

    def ready(self) -> None:
        # A contract that becomes active starts the "requirements unknown" timer. Contracts
        # publish the fact through the outbox; this consumer writes rows only, so the relay
        # runs it and records the delivery in one transaction (exactly once).
        from onboarding.acceptance.requirements import contract_activated
        from onboarding.contracts.transitions import CONTRACT_ACTIVATED_TOPIC
        from onboarding.notifications.registry import register_outbox_handler

        register_outbox_handler(CONTRACT_ACTIVATED_TOPIC, contract_activated, transactional=True)
