from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "onboarding.notifications"
    label = "notifications"

    def ready(self) -> None:
        # The channels import models, which exist only once the app registry is ready.
        from onboarding.notifications.channels import channels_register

        channels_register()
