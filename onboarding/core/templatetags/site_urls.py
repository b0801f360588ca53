"""{% site_url "name" %}: the address of a URL pattern without arguments, reversed once.
{% site_static "path" %}: {% static "path" %}, looked up once per static files storage.

The layout names a dozen fixed pages (the navigation, the sign-out form) on every response, and
each {% url %} walks the resolver again (about 0.03 ms each). A pattern without arguments has one
address per URL configuration, script prefix and language, so it is reversed once per process
for each of those and then read from a dictionary. Likewise the layout's four static files: the
manifest of hashed names is fixed for the life of the storage object, so each name is looked up
in it once (Django replaces the storage object when the STORAGES setting changes).
"""

from django import template
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import empty
from django.utils.translation import get_language

register = template.Library()

_reversed: dict[tuple[str | None, str, str | None, str], str] = {}


@register.simple_tag
def site_url(name: str) -> str:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    key = (urlconf, get_script_prefix(), get_language(), name)
    url = _reversed.get(key)
    if url is None:
        url = _reversed[key] = reverse(name, urlconf=urlconf)
    return url


_static_of: tuple[object, dict[str, str]] | None = None


@register.simple_tag
def site_static(path: str) -> str:
    global _static_of
    if staticfiles_storage._wrapped is empty:
        staticfiles_storage._setup()
    storage = staticfiles_storage._wrapped
    if _static_of is None or _static_of[0] is not storage:
        _static_of = (storage, {})
    urls = _static_of[1]
    url = urls.get(path)
    if url is None:
        url = urls[path] = storage.url(path)
    return url
