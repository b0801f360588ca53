"""schemathesis over the customer onboarding part of the API (catalog and /me), signed in as a
customer: no input gets a server error, and every answer matches the OpenAPI document."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import UserFactory, complete_profile, plan_with_prices

CSRF = _get_new_csrf_string()


@pytest.fixture
def onboarding_schema(db):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


schema = schemathesis.pytest.from_fixture("onboarding_schema")


@pytest.fixture
def customer_cookies(client):
    user = UserFactory()
    complete_profile(user.customer)
    plan_with_prices()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}


@schema.include(path_regex=r"^/api/v1/(catalog|me)/").parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_breaks_the_onboarding_api(case, customer_cookies):
    response = case.call(cookies=customer_cookies, headers={"X-CSRFToken": CSRF})
    assert response.status_code < 500, response.text
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
