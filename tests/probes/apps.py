from django.apps import AppConfig


class ProbesConfig(AppConfig):
    """Probe tasks and their rows for the worker tests; installed by tests/settings.py only."""

    name = "tests.probes"
    label = "probes"
    default_auto_field = "django.db.models.BigAutoField"
