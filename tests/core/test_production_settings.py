"""Production settings, loaded the way production loads them: in a child process."""

import json
import subprocess
import sys
from pathlib import Path

from tests.core.childproc import ROOT, production_env, run_python

DUMP_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_NAME",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
]}))
"""


def test_check_deploy_passes_without_a_warning(db):
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env()
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_fails_when_debug_is_switched_on(db):
    # The same check is sharp: it does catch a dangerous production setting.
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(DEBUG="1"),
    )
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_production_cookies_are_secure_httponly_samesite_and_host_only(db):
    result = run_python(["-c", DUMP_SETTINGS], production_env())
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")


def test_production_sends_hsts_for_a_year_and_redirects_to_https(db):
    result = run_python(["-c", DUMP_SETTINGS], production_env())
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_production_refuses_to_start_without_a_secret_key(db):
    env = production_env()
    del env["SECRET_KEY"]
    result = run_python(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(db):
    # Started without it, every request would be refused with a 400: refuse to start instead.
    env = production_env()
    del env["ALLOWED_HOSTS"]
    result = run_python(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set in production" in result.stderr


def test_the_production_web_server_config_loads_the_app_with_threads_and_a_long_keep_alive(db):
    # The README's production command: gunicorn -c config/gunicorn.py config.wsgi
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [
            str(gunicorn),
            "-c",
            "config/gunicorn.py",
            "--check-config",
            "--print-config",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    printed = {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    }
    assert printed["worker_class"] == "gthread"
    assert int(printed["threads"]) >= 4
    assert int(printed["keepalive"]) > 60  # longer than a proxy's usual idle time
