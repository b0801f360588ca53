"""Every answer under /api/ is JSON: a path no operation takes (404), a method no operation of a
path takes (405) and a failure of ours (500), with DEBUG off (production) and on (`make run`,
where Django's own 404 and 500 pages are HTML and django-ninja's 500 is a plain-text traceback).

schemathesis found `GET /api/v1/inbox/null,null` answering Django's HTML 404 page.
"""

import pytest
from django.test import Client

from onboarding.alerts.models import AdminAlert
from tests.core.error_urls import SECRET_DETAIL

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}
UNMATCHED = [
    ("get", "/api/v1/inbox/null,null"),
    ("post", "/api/v1/me/requests/"),  # the operation is at /me/requests
    ("get", "/api/v1/inbox"),  # ... and this one at /inbox/: no redirect to it under the API
    ("delete", "/api/v1/nothing/here"),
    ("get", "/api/v2/"),
]


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def web(customer_client) -> Client:
    # Answer with the 500 page, as a server does, instead of re-raising into the test.
    customer_client.raise_request_exception = False
    return customer_client


@pytest.mark.parametrize(("method", "path"), UNMATCHED)
def test_a_path_no_operation_takes_is_a_json_404(web, debug, method, path):
    response = getattr(web, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == NOT_FOUND


def test_a_path_that_is_not_under_the_api_still_gets_the_html_page(web, debug):
    response = web.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/v1/inbox/", {"GET"}),
        ("post", "/api/v1/catalog/plans", {"GET"}),
        ("put", "/api/v1/me/requests", {"GET", "POST"}),
    ],
)
def test_a_method_no_operation_takes_is_a_json_405_naming_the_allowed_ones(
    web, debug, method, path, allowed
):
    response = getattr(web, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Method not allowed.", "code": "method_not_allowed"}
    assert set(response["Allow"].split(", ")) == allowed


def test_a_failure_inside_an_operation_is_a_json_500_with_the_reference(web, debug):
    response = web.get("/api/v1/failing/boom", headers={"X-Request-ID": "json-500-test-0001"})
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "detail": "Something went wrong on our side.",
        "code": "server_error",
        "reference": "json-500-test-0001",
    }
    assert SECRET_DETAIL not in response.content.decode()
    # An admin is told, in development as in production.
    assert AdminAlert.objects.filter(reason="unhandled_error").exists()


def test_a_refusal_django_answers_stays_a_json_403_with_debug_on(web, debug):
    response = web.get("/api/v1/failing/forbidden")
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not allowed to do this.", "code": "forbidden"}
    assert not AdminAlert.objects.exists()
