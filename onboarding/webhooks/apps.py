from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "onboarding.webhooks"
    label = "webhooks"
