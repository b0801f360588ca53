from django.apps import AppConfig


class AcceptanceConfig(AppConfig):
    name = "onboarding.acceptance"
    label = "acceptance"
    verbose_name = "Service acceptance"

    def ready(self) -> None:
        # A contract that becomes active starts the "requirements unknown" timer. Contracts
        # publish the fact through the outbox; this consumer writes rows only, so the relay
        # runs it and records the delivery in one transaction (exactly once).
        from onboarding.acceptance.requirements import contract_activated, contract_plan_changed
        from onboarding.contracts.amendments import CONTRACT_PLAN_CHANGED_TOPIC
        from onboarding.contracts.transitions import CONTRACT_ACTIVATED_TOPIC
        from onboarding.notifications.registry import register_outbox_handler

        register_outbox_handler(CONTRACT_ACTIVATED_TOPIC, contract_activated, transactional=True)
        register_outbox_handler(
            CONTRACT_PLAN_CHANGED_TOPIC, contract_plan_changed, transactional=True
        )
        # A contract that ends stops its reviews' next-action clocks (acceptance/clocks.py).
        from onboarding.acceptance.clocks import contract_ended
        from onboarding.contracts.transitions import CONTRACT_ENDED_TOPIC

        register_outbox_handler(CONTRACT_ENDED_TOPIC, contract_ended, transactional=True)
        # The risk board (below this app) shows each contract's next-action deadline.
        from onboarding.acceptance.selectors import risk_board_next_actions
        from onboarding.risk.board_notes import register_board_note_reader

        register_board_note_reader(risk_board_next_actions)
