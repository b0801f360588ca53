from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "onboarding.catalog"
    label = "catalog"
