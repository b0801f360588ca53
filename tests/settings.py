"""The test suite's settings: config.settings as every environment reads it, plus the probe app
(tests/probes) whose tasks and rows the worker tests use. Child processes the tests start
(run_worker) inherit DJANGO_SETTINGS_MODULE, so they see the same apps."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, PASSWORD_HASHERS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.probes"]

# A real HTTP receiver on loopback, over plain http, stands in for an integrator's endpoint.
WEBHOOKS_ALLOW_LOOPBACK = True
WEBHOOKS_ALLOW_HTTP = True

# Argon2 at its smallest cost (tests/hashers.py): the same algorithm, a fraction of a millisecond
# a hash instead of a third of a second. It takes the place of the production Argon2 hasher (two
# hashers of one algorithm would leave Django to verify with the last one listed).
PASSWORD_HASHERS = [
    "tests.hashers.QuickArgon2PasswordHasher",
    *(h for h in PASSWORD_HASHERS if not h.endswith(".Argon2PasswordHasher")),
]
