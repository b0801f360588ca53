from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The customer portal: the account pages, sign-up and purchase hooks and the customer's own
    journey API, which read from every app below and so sit on the top floor."""

    name = "onboarding.portal"
    label = "portal"
    verbose_name = "Customer portal"
