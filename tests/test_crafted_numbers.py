"""Numbers a client writes into a query string or a header: Unicode digits ("²" passes
str.isdigit() and fails int()), integers past the database's bigint, negatives. None may reach a
500: a search for a number that is no id finds nothing by id, a page or cursor that is no number
is the default, an API parameter that is no number is a 422 naming it.

Each URL in REPORTED was a 500 before onboarding.core.numbers; the sweeps below try the same
values on every staff page and every GET operation of the API.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from onboarding.alerts.models import AdminAlert
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.core.roles import Role
from tests.factories import UserFactory, plan_with_prices, staff_user
from tests.risk.test_board import raise_red
from tests.sysops.conftest import open_request, subscribe

pytestmark = pytest.mark.django_db

# Digits str.isdigit() accepts and int() refuses, digits int() reads although they are not ASCII,
# and integers past the signed 64-bit range every id column has.
FULLWIDTH_12 = "\uff11\uff12"  # "12" in fullwidth digits
NOT_A_NUMBER_FOR_PYTHON = ["²", "¹²³", "①"]
TOO_BIG = [str(2**63), "99999999999999999999", str(10**30)]

REPORTED = [
    "/staff/invoices/?q=99999999999999999999",
    "/staff/invoices/?q=9223372036854775808",
    "/staff/invoices/?q=²",
    "/api/v1/staff/invoices?q=²",
    "/api/v1/staff/invoices?q=99999999999999999999",
    "/staff/requests/?page=²",
    "/staff/requests/?assignee=²",
    "/api/v1/staff/requests?assignee=²",
    "/staff/risk/events?after=²",
    "/api/v1/staff/alerts/99999999999999999999",
]


@pytest.fixture
def admin_web(admin_client_2fa) -> Client:
    # Answer with the 500 page, as a server does, instead of re-raising into the test.
    admin_client_2fa.raise_request_exception = False
    return admin_client_2fa


@pytest.fixture
def quick_stream(settings):
    settings.RISK_BOARD_STREAM_SECONDS = 0  # the live board's stream: one pass, then it ends


@pytest.mark.parametrize("url", REPORTED)
def test_a_crafted_number_in_a_reported_url_is_not_a_server_error(url, admin_web, quick_stream):
    assert admin_web.get(url).status_code < 500


@pytest.fixture
def invoiced_customer():
    subscription = subscribe(UserFactory(), plan_with_prices())
    bill_run_execute(run_date=subscription.next_invoice_at.date())
    assert Invoice.objects.finalized().filter(customer=subscription.customer).exists()
    return subscription.customer


@pytest.mark.parametrize("value", NOT_A_NUMBER_FOR_PYTHON + TOO_BIG)
def test_an_invoice_search_for_a_number_that_is_no_id_finds_nothing(
    admin_web, invoiced_customer, value
):
    page = admin_web.get("/staff/invoices/", {"q": value})
    assert page.status_code == 200
    assert list(page.context["page"]) == []
    answer = admin_web.get("/api/v1/staff/invoices", {"q": value})
    assert answer.status_code == 200
    assert answer.json() == []


def test_an_invoice_search_for_a_customer_id_in_ascii_digits_finds_their_invoices(
    admin_web, invoiced_customer
):
    page = admin_web.get("/staff/invoices/", {"q": str(invoiced_customer.pk)})
    assert {i.customer_id for i in page.context["page"]} == {invoiced_customer.pk}
    answer = admin_web.get("/api/v1/staff/invoices", {"q": str(invoiced_customer.pk)})
    assert len(answer.json()) == len(page.context["page"]) > 0


@pytest.mark.parametrize("value", NOT_A_NUMBER_FOR_PYTHON + TOO_BIG + ["0", "-1"])
def test_a_page_number_that_is_no_page_shows_the_first_page(admin_web, value):
    page = admin_web.get("/staff/requests/", {"page": value})
    assert page.status_code == 200
    assert page.context["page"].number == 1


@pytest.fixture
def assigned_and_unassigned():
    """Two open requests: one assigned to a SysOps engineer, one to nobody."""
    engineer = staff_user(Role.SYSOPS)
    plan = plan_with_prices()
    requests = [open_request(subscribe(UserFactory(), plan)) for _ in range(2)]
    requests[0].assignee = engineer
    requests[0].save(update_fields=["assignee"])
    return engineer, requests


@pytest.mark.parametrize("value", [*NOT_A_NUMBER_FOR_PYTHON, "٣", FULLWIDTH_12, *TOO_BIG])
def test_an_assignee_that_is_no_id_is_no_filter_on_the_page_and_a_422_in_the_api(
    admin_web, assigned_and_unassigned, value
):
    page = admin_web.get("/staff/requests/", {"assignee": value, "status": ""})
    assert page.status_code == 200
    assert len(page.context["page"]) == 2
    answer = admin_web.get("/api/v1/staff/requests", {"assignee": value, "status": ""})
    assert answer.status_code == 422, answer.content
    assert [error["loc"] for error in answer.json()["detail"]] == [["query", "assignee"]]


def test_an_assignee_written_in_ascii_digits_still_filters(admin_web, assigned_and_unassigned):
    engineer, requests = assigned_and_unassigned
    page = admin_web.get("/staff/requests/", {"assignee": str(engineer.pk), "status": ""})
    assert [r.pk for r in page.context["page"]] == [requests[0].pk]
    answer = admin_web.get("/api/v1/staff/requests", {"assignee": str(engineer.pk), "status": ""})
    assert [item["id"] for item in answer.json()["items"]] == [requests[0].pk]


@pytest.mark.parametrize("value", [*NOT_A_NUMBER_FOR_PYTHON, "٣", "-1", *TOO_BIG])
@pytest.mark.parametrize("where", ["header", "query"])
def test_a_risk_cursor_that_is_no_number_streams_from_the_newest_risk(
    admin_web, quick_stream, sysops, manager, where, value
):
    old = raise_red(sysops)
    options = (
        {"headers": {"Last-Event-ID": value}} if where == "header" else {"data": {"after": value}}
    )
    response = admin_web.get("/staff/risk/events", **options)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    # The default cursor is the newest risk: the old one is not sent again (after=0 would).
    old.__class__.objects.filter(pk=old.pk).update(occurred_at=old.occurred_at.replace(year=2000))
    body = b"".join(response.streaming_content).decode()
    assert "event: risk\n" not in body


def _non_ascii(number: int, zero: str) -> str:
    return "".join(chr(ord(zero) + int(digit)) for digit in str(number))


@pytest.mark.parametrize("value", ["²", "-1", "arabic-indic", "fullwidth", *TOO_BIG])
def test_an_alert_id_that_is_no_id_is_not_found(admin_web, value):
    alert = admin_alert_raise(reason="crafted", message="An alert.")
    # The alert's own id in digits int() reads (it did, and found the alert).
    zeros = {"arabic-indic": "\u0660", "fullwidth": "\uff10"}
    value = _non_ascii(alert.pk, zeros[value]) if value in zeros else value
    for url in (f"/api/v1/staff/alerts/{value}", f"/api/v1/staff/alerts/{value}/acknowledge"):
        method = admin_web.post if url.endswith("acknowledge") else admin_web.get
        response = method(url)
        assert response.status_code == 404, (url, response.content)
        assert response.json()["code"] == "not_found"
    assert AdminAlert.objects.get().state == "open"


# --- Sweeps: every staff page, every GET operation of the API ------------------------------------

# The pages' parameters that are, or may be, numbers; the API's come from its document.
PARAMETERS = ["q", "page", "assignee", "after", "before", "customer_id", "limit", "offset"]
# Not a number for int(), not ASCII, past the bigint range, negative.
SWEEP = ["²", FULLWIDTH_12, str(2**63), str(10**30), "-1"]


def _staff_pages() -> list[str]:
    """Every staff page that takes no path parameter."""

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and not re.search(r"[<(^]", route):
                yield "/" + route

    routes = walk(get_resolver().url_patterns, "")
    return sorted({route for route in routes if route.startswith("/staff/")})


def _api_list_operations() -> dict[str, list[str]]:
    """Every GET operation of the API without path parameters, with its query parameters."""
    document = api.get_openapi_schema()
    return {
        path: [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method == "get" and "{" not in path
    }


def test_the_sweeps_cover_the_pages_and_operations_of_the_report():
    assert {"/staff/invoices/", "/staff/requests/", "/staff/risk/events"} <= set(_staff_pages())
    operations = _api_list_operations()
    assert "q" in operations["/api/v1/staff/invoices"]
    assert "after" in operations["/api/v1/staff/risk/events"]


@pytest.mark.slow
@pytest.mark.parametrize("value", SWEEP)
def test_no_staff_page_fails_on_a_crafted_number(admin_web, quick_stream, value):
    failed = []
    for url in _staff_pages():
        response = admin_web.get(url, headers={"Last-Event-ID": value})
        if response.status_code >= 500:
            failed.append(f"{url} Last-Event-ID: {value}")
        for parameter in PARAMETERS:
            response = admin_web.get(url, {parameter: value})
            if response.status_code >= 500:
                failed.append(f"{url}?{parameter}={value}")
    assert failed == []


@pytest.mark.slow
@pytest.mark.parametrize("value", SWEEP)
def test_no_api_list_fails_on_a_crafted_number(admin_web, value):
    failed = []
    for path, documented in _api_list_operations().items():
        for parameter in documented:
            response = admin_web.get(path, {parameter: value})
            json = response["Content-Type"].startswith("application/json")
            if response.status_code >= 500 or not json:
                failed.append(f"{path}?{parameter}={value}: {response.status_code}")
    assert failed == []


CUSTOMER_LISTS = ["/inbox/", "/account/invoices/", "/account/contracts/", "/account/requests/"]


@pytest.mark.parametrize("value", SWEEP)
def test_no_customer_list_fails_on_a_crafted_page_number(customer_client, value):
    customer_client.raise_request_exception = False
    statuses = {
        url: customer_client.get(url, {"page": value}).status_code for url in CUSTOMER_LISTS
    }
    assert statuses == dict.fromkeys(CUSTOMER_LISTS, 200)
