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
