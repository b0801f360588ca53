"""schemathesis over the customer onboarding part of the API (catalog and /me), signed in as a
customer: no input gets a server error, and every answer matches the OpenAPI document."""

import pytest
import schemathesis
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import UserFactory, complete_profile, plan_with_prices

CSRF = _get_new_csrf_string()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def customer_cookies(client):
    user = UserFactory()
    complete_profile(user.customer)
    plan_with_prices()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}


def fuzz_operations(app, path_regex: str, cookies: dict, *, examples: int) -> list[str]:
    """Run every operation matching `path_regex` with generated inputs; return their labels."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried = []
    for result in schema.include(path_regex=path_regex).get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def call(case):
            response = case.call(cookies=cookies, headers={"X-CSRFToken": CSRF})
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.text}"
            )
            case.validate_response(response, checks=CHECKS)

        call()
    return tried


def test_no_input_breaks_the_onboarding_api(wsgi_app, customer_cookies):
    tried = fuzz_operations(wsgi_app, r"^/api/v1/(catalog|me)/", customer_cookies, examples=15)
    assert "POST /api/v1/me/card" in tried
    assert "PUT /api/v1/me/profile" in tried
