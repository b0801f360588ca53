from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "onboarding.worker"
    label = "worker"
