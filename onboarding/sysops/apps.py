from django.apps import AppConfig


class SysopsConfig(AppConfig):
    name = "onboarding.sysops"
    label = "sysops"
    verbose_name = "SysOps back office"

    def ready(self) -> None:
        # The consumer of inbound "a customer reports a problem" events (monitoring, phone desk).
        from onboarding.notifications.registry import register_outbox_handler
        from onboarding.sysops.services import REQUEST_REPORTED_TOPIC, service_request_reported

        register_outbox_handler(
            REQUEST_REPORTED_TOPIC, service_request_reported, transactional=True
        )
        # A request clock's 80% warning and breach, claimed by the sla app's periodic check.
        from onboarding.sla.watch import SLA_CLOCK_BREACHED_TOPIC, SLA_CLOCK_WARNED_TOPIC
        from onboarding.sysops.sla_alerts import sla_clock_breached, sla_clock_warned

        register_outbox_handler(SLA_CLOCK_WARNED_TOPIC, sla_clock_warned, transactional=True)
        register_outbox_handler(SLA_CLOCK_BREACHED_TOPIC, sla_clock_breached, transactional=True)
