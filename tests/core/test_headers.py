"""Security headers on page responses (ASVS V14.4), as the settings and middleware set them."""

import json

import pytest
from django.urls import reverse

from tests.core.childproc import production_env, run_python


@pytest.fixture
def page(client, db):
    return client.get(reverse("account_login"))


def csp_directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (piece.strip() for piece in policy.split(";"))
        if part
    }


def test_csp_allows_scripts_and_styles_from_our_origin_only(page):
    csp = csp_directives(page)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"


def test_csp_forbids_framing(page):
    assert csp_directives(page)["frame-ancestors"] == "'none'"
    assert page["X-Frame-Options"] == "DENY"


def test_content_type_sniffing_is_off(page):
    assert page["X-Content-Type-Options"] == "nosniff"


def test_referrer_stays_on_our_origin(page):
    assert page["Referrer-Policy"] == "same-origin"


def test_cross_origin_opener_is_isolated(page):
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"


def test_unused_browser_features_are_switched_off(page):
    assert "camera=()" in page["Permissions-Policy"]
    assert "geolocation=()" in page["Permissions-Policy"]


def test_every_response_carries_a_request_id(page):
    assert len(page["X-Request-ID"]) >= 8


# Asks the production app for /healthz over HTTPS (as the proxy forwards it) and over plain HTTP,
# and prints what came back. /healthz renders no template, so no collected static files are needed.
HSTS_OVER_BOTH = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="example.com")
https = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
http = client.get("/healthz")
print(json.dumps({
    "https": [https.status_code, https.get("Strict-Transport-Security")],
    "http": [http.status_code, http.get("Strict-Transport-Security")],
}))
"""


def test_hsts_is_sent_over_https_with_the_production_setting(db):
    result = run_python(["-c", HSTS_OVER_BOTH], production_env())
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["https"] == [200, "max-age=31536000; includeSubDomains; preload"]
    assert answers["http"] == [200, None]  # never over plain HTTP, where it means nothing


def test_pages_for_a_signed_in_user_are_never_stored(customer_client):
    response = customer_client.get(reverse("account_email"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_public_pages_keep_their_own_caching(client, db):
    assert "Cache-Control" not in client.get("/")


def test_staff_pages_are_never_stored(sysops_client):
    assert "no-store" in sysops_client.get("/staff/")["Cache-Control"]
