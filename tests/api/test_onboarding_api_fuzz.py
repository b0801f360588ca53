"""schemathesis over the customer onboarding part of the API (catalog and /me), signed in as a
customer: no input gets a server error, and every answer matches the OpenAPI document. Every
integer-like parameter also gets crafted numbers (tests/api/crafted_numbers.py)."""

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

from tests.api.crafted_numbers import run_crafted
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


def fuzz_operations(
    app, path_regex: str, cookies: dict, *, examples: int, crafted: list | None = None
) -> list[str]:
    """Run every operation matching `path_regex` with generated inputs, then with crafted numbers
    in its integer-like parameters (their labels go to `crafted`); return the operations' labels."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried = []
    crafted = crafted if crafted is not None else []
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

        def call_crafted(label, case, operation=operation):
            response = case.call(cookies=cookies, headers={"X-CSRFToken": CSRF})
            assert response.status_code < 500, f"{operation.label} {label}: {response.text}"
            case.validate_response(response, checks=CHECKS)
            crafted.append(f"{operation.label} {label}")

        run_crafted(operation, call_crafted)
    return tried


def test_no_input_breaks_the_onboarding_api(wsgi_app, customer_cookies):
    crafted: list[str] = []
    tried = fuzz_operations(
        wsgi_app, r"^/api/v1/(catalog|me)/", customer_cookies, examples=15, crafted=crafted
    )
    assert "POST /api/v1/me/card" in tried
    assert "PUT /api/v1/me/profile" in tried
    assert "GET /api/v1/me/invoices query limit='²'" in crafted
    assert f"PUT /api/v1/me/contacts/{{contact_id}} path contact_id='{2**63}'" in crafted
