"""The product's name and address for templates rendered without a request (notification mail)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def product_name() -> str:
    return settings.SITE_NAME


@register.simple_tag
def product_url() -> str:
    return settings.SITE_URL
