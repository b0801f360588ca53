import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect, sync_playwright

from onboarding.contracts.models import ContractTemplate
from onboarding.core.catalogues import compile_catalogues
from onboarding.core.roles import Role
from onboarding.tax.models import TaxRate
from tests.audit.flush import audit_tables_emptied
from tests.factories import UserFactory, staff_user
from tests.services import (
    CHROMIUM,
    TEST_REDIS_URL,
    chromium_available,
    claimed_redis_url,
    free_port,
    missing,
    redis_available,
)
from tests.smtp import SmtpServer

CONTRACT_TEMPLATE_V1 = importlib.import_module(
    "onboarding.contracts.migrations.0002_template_version_1"
)
CONTRACT_TEMPLATE_V2 = importlib.import_module(
    "onboarding.contracts.migrations.0005_template_version_2"
)
CONTRACT_TEMPLATE_V3 = importlib.import_module(
    "onboarding.contracts.migrations.0006_template_version_3"
)
CONTRACT_TEMPLATES_DE_FR = importlib.import_module(
    "onboarding.contracts.migrations.0008_template_german_french"
)
TAX_RATES_SEED = importlib.import_module("onboarding.tax.migrations.0002_seed_eu_and_uk_rates")


@pytest.fixture(scope="session", autouse=True)
def _catalogues_compiled():
    """The .mo files `make install` compiles (docs/i18n.md), for a bare pytest run too."""
    compile_catalogues()


@pytest.fixture(autouse=True)
def _language_reset_afterwards():
    """A page in German leaves German active in the test's thread (LocaleMiddleware activates the
    request's language; nothing deactivates it afterwards, and the next real request activates its
    own): a later test evaluating a lazy string outside a request would read German."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _rows_seeded_by_migrations(request):
    """Contract template versions 1 to 3 (English) and the German and French version 1, as
    their data migrations seed them. A transactional
    test flushes
    every table, seeded rows too, so every database test after one would otherwise meet a
    database without a published template (and a paid invoice would bring no contract)."""
    if not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    seeded_versions = (
        (1, CONTRACT_TEMPLATE_V1),
        (2, CONTRACT_TEMPLATE_V2),
        (3, CONTRACT_TEMPLATE_V3),
    )
    for version, seeded in seeded_versions:
        ContractTemplate.objects.get_or_create(
            language="en", version=version, defaults={"html": seeded.HTML, "css": seeded.CSS}
        )
    for language, (html, css, note) in CONTRACT_TEMPLATES_DE_FR.VERSIONS.items():
        ContractTemplate.objects.get_or_create(
            language=language, version=1, defaults={"html": html, "css": css, "note": note}
        )
    # The seeded VAT rates, likewise: invoices are taxed by the customer's country.
    if not TaxRate.objects.exists():
        TAX_RATES_SEED.seed(django_apps, None)


_TRANSACTIONAL_FIXTURES = frozenset(
    {"transactional_db", "live_server", "django_db_reset_sequences"}
)


@pytest.fixture(autouse=True)
def _audit_tables_emptied_before_flush(request):
    """The flush after a transactional test truncates every table, and on PostgreSQL the audit
    log refuses TRUNCATE while it holds rows: empty it first (tests/audit/flush.py)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(_TRANSACTIONAL_FIXTURES & set(request.fixturenames)) or bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so this runs before its flush
    yield
    audit_tables_emptied()


@pytest.fixture
def wsgi_app(db):
    """The project's WSGI application, for schemathesis to call in-process. As Django's test
    client does, a request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def customer(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def other_customer(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def sysops(db):
    return staff_user(Role.SYSOPS)


@pytest.fixture
def manager(db):
    return staff_user(Role.MANAGER)


@pytest.fixture
def admin_user(db):
    return staff_user(Role.ADMIN)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def customer_client(customer):
    return _client_for(customer)


@pytest.fixture
def other_customer_client(other_customer):
    return _client_for(other_customer)


@pytest.fixture
def sysops_client(sysops):
    return _client_for(sysops)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def admin_client_2fa(admin_user):
    return _client_for(admin_user)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Default storage (invoice and contract PDFs) in a folder of this test's own."""
    location = tmp_path / "media"
    location.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback for the length of one test."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_mail(settings, smtp_server):
    """Send this test's mail through the loopback SMTP server; yields the server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server


@pytest.fixture
def redis_url(settings):
    """The machine's real Redis, on a database number this process holds alone
    (tests/services.py), emptied before and after the test."""
    if not redis_available():
        missing(f"Redis at {TEST_REDIS_URL} (start it with redis-server)")
    import redis

    url = claimed_redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    settings.REDIS_URL = url
    yield url
    client.flushdb()


@pytest.fixture
def require_postgres():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("runs in the PostgreSQL leg of the suite (DATABASE_URL=postgres://...)")


@pytest.fixture
def chromium_path() -> str:
    if not chromium_available():
        missing("Debian's chromium (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else "chromium"


CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright_browser():
    if not chromium_available():
        missing("Debian's chromium (apt-get install chromium)")
    chromium = CHROMIUM if os.path.exists(CHROMIUM) else "chromium"
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary synchronous calls, so Django may allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # expect() waits 5 s unless told, whatever a context's default timeout: give it the 15 s the
    # browser contexts have, so a swap or a page a loaded CI machine is slow to answer still counts.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
