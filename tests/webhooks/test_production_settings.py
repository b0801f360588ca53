"""Loopback and plain-http endpoints are for local testing: production refuses to start with
either switch on (an SSRF guard an environment variable could open to the host's own services)."""

import pytest

from tests.core.childproc import production_env, run_python

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("switch", ["WEBHOOKS_ALLOW_LOOPBACK", "WEBHOOKS_ALLOW_HTTP"])
def test_production_refuses_the_local_testing_switches(switch):
    child = run_python(["-c", "import config.settings"], production_env(**{switch: "true"}))
    assert child.returncode != 0
    assert f"{switch} must be off in production" in child.stderr


def test_production_starts_with_them_off():
    child = run_python(["-c", "import config.settings"], production_env())
    assert child.returncode == 0, child.stderr[-500:]
