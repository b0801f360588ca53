"""Settings of the bare Django app: only what a page needs to be served (no database, no
sessions, no templates), with the two middlewares every Django site keeps. DEBUG off, as the
product is measured."""

SECRET_KEY = "bench-bare-not-secret"  # serves one fixed "ok" on loopback
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.bare.urls"
WSGI_APPLICATION = "bench.bare.wsgi.application"
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, dict] = {}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
USE_TZ = True
