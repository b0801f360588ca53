"""schemathesis over the whole OpenAPI document, as each role in turn (anonymous, customer,
sysops, manager, admin), against a database with customers' cards, subscriptions, invoices, a
credit note, contracts (one acknowledged, with a red requirement and a risk event), service
requests, contacts, inbox messages, sent mail and an admin alert.

Every operation the schema holds when the test runs is called (no list of operations here, so a
new router is fuzzed the day it is added), with generated valid and invalid input. Path
parameters are now and then replaced by ids of rows that exist, found by the parameter's name, so
handlers get past "not found" and meet real objects. No answer may be a server error, and every
answer must be documented: its status code, its content type and its body.

Every integer-like parameter (typed integer, or an id, page, cursor or search) also gets crafted
numbers: Unicode digits, integers past the database's bigint, negatives, with the other
parameters valid and the path's ids those of rows that exist (tests/api/crafted_numbers.py).

Failures are collected, not raised at the first one, so one run lists every broken operation.
"""

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.apps import apps
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from ninja.openapi.schema import OpenAPISchema
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from onboarding.acceptance.models import Rating
from onboarding.acceptance.requirements import requirement_add
from onboarding.accounts.middleware import roles_for_path
from onboarding.accounts.permissions import Refusal, role_refusal
from onboarding.accounts.services import contact_add
from onboarding.alerts.models import AdminAlert
from onboarding.alerts.services import admin_alert_raise
from onboarding.billing import followups
from onboarding.billing.billrun import bill_run_execute
from onboarding.billing.models import Invoice
from onboarding.billing.services import invoice_refund, subscription_purchase
from onboarding.contracts.acknowledgement import contract_acknowledge
from onboarding.contracts.delivery import contract_deliver
from onboarding.contracts.documents import contract_document_generate
from onboarding.contracts.issuing import contract_issue_for_subscription
from onboarding.contracts.models import Contract
from onboarding.core.money import Money
from onboarding.core.roles import Role
from onboarding.notifications.relay import relay_drain
from onboarding.risk.models import RiskLevel, RiskType
from onboarding.risk.services import risk_event_raise
from onboarding.sysops.services import service_request_open
from tests.api.crafted_numbers import run_crafted
from tests.factories import UserFactory, complete_profile, plan_with_prices, staff_user
from tests.payments.helpers import card_on_file

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROLES = ["anonymous", "customer", "sysops", "manager", "admin"]
SCHEMA_URL = "/api/v1/openapi.json"
CSRF = _get_new_csrf_string()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation and generation mode, sized for `make test`; API_FUZZ_FACTOR=10 runs a
# deeper search. Anonymous callers are turned away at the door whatever they send, so fewer of
# their requests teach anything.
FACTOR = float(os.environ.get("API_FUZZ_FACTOR", "1"))
BASE_EXAMPLES = {"anonymous": 2, "customer": 8, "sysops": 7, "manager": 5, "admin": 6}
EXAMPLES = {role: max(1, round(count * FACTOR)) for role, count in BASE_EXAMPLES.items()}
# A staff path (/api/v1/staff/...) is answered by StaffAccessMiddleware for a caller without a
# staff role (anonymous 401, customer 404) before the URL is resolved: whatever the request holds,
# the same few lines give the same answer, so one example per generation mode (and the crafted
# numbers) shows the door shut and its answer documented; more would repeat that path. The test
# checks that every answer there was the door's, so a door that opened would be noticed.
DOOR_EXAMPLES = 1
DOOR_ANSWER = {
    Refusal.SIGN_IN: 401,
    Refusal.NOT_FOUND: 404,
    Refusal.WRONG_ROLE: 403,
    Refusal.SECOND_FACTOR: 403,
}
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.fixture
def world(settings, tmp_path, media):
    """Two customers who each bought a plan with a card, were invoiced and charged, received a
    contract and opened a service request; the first has a contact and acknowledged their
    contract, which has a red requirement and a risk event; the second was partly refunded.
    Notices relayed to inboxes and the mailbox, an open admin alert, a user of every role."""
    settings.EMAIL_BACKEND = "onboarding.notifications.mailbox.DatabaseMailboxBackend"
    settings.MAIL_DROP_DIR = tmp_path / "mail"  # the embedded mode's whole emails

    plan = plan_with_prices()
    customers = []
    for _ in range(2):
        user = UserFactory()
        customer = complete_profile(user.customer, phone="+441179460123")
        card_on_file(customer)
        subscription = subscription_purchase(
            customer=customer, plan=plan, cycle="monthly", actor=user
        )
        customers.append((user, subscription))
    bill_run_execute(run_date=subscription.next_invoice_at.date())
    followups.invoice_follow_ups(invoice_ids=followups.follow_ups_due())
    for user, subscription in customers:
        contract = contract_issue_for_subscription(subscription=subscription)
        contract_document_generate(contract=contract)
        contract_deliver(contract=contract)
        service_request_open(
            customer=subscription.customer,
            subscription_id=subscription.pk,
            actor=user,
            kind="troubleshoot",
            severity="normal",
            summary="The dashboard will not load",
            description="Since this morning the dashboard shows a blank page.",
        )
    users = {
        "anonymous": None,
        "customer": customers[0][0],
        "sysops": staff_user(Role.SYSOPS),
        "manager": staff_user(Role.MANAGER),
        "admin": staff_user(Role.ADMIN),
    }
    # The first customer: a contact, and their contract acknowledged, in force, with a red
    # requirement (a review waiting for a manager) and a risk event.
    user, subscription = customers[0]
    contact_add(
        customer=subscription.customer,
        actor=user,
        details={"name": "Grace Hopper", "role": "IT lead", "email": "grace@example.com"},
    )
    contract = Contract.objects.get(subscription=subscription)
    contract_acknowledge(
        contract=contract,
        actor=user,
        typed_name=user.get_full_name(),
        document_sha256=contract.documents.latest("version").sha256,
        client_ip="127.0.0.1",
        user_agent="fuzz",
    )
    requirement_add(
        contract=contract,
        actor=users["sysops"],
        title="Restore within four hours",
        criteria="A failed server is back within four hours.",
        rating=Rating.RED,
    )
    risk_event_raise(
        type=RiskType.ACCEPTANCE_UNACKNOWLEDGED,
        level=RiskLevel.RED,
        contract=contract,
        reason="Red acceptance not acknowledged in time.",
        dedupe_key=f"fuzz:{contract.pk}",
        rating=Rating.RED,
    )
    # The second customer's invoice is partly refunded: a credit note with its PDF.
    paid = Invoice.objects.filter(customer=customers[1][1].customer).get()
    credit_note = invoice_refund(
        invoice=paid, actor=users["admin"], amount=Money(1000, paid.currency), reason="Goodwill"
    )
    followups.credit_note_follow_up(credit_note_id=credit_note.pk)
    admin_alert_raise(
        reason="fuzz_seed",
        message="An alert for the fuzzer to read, acknowledge and resolve.",
        target=customers[0][1],
    )
    relay_drain(worker_id="fuzz-relay")
    return users


def cookies_for(user) -> dict:
    cookies = {"csrftoken": CSRF}
    if user is not None:
        client = Client()
        client.force_login(user)
        cookies["sessionid"] = client.cookies["sessionid"].value
    return cookies


def door_refusal(user, path: str) -> Refusal | None:
    """How StaffAccessMiddleware turns `user` away from `path` before it is resolved, if it does
    (the middleware's own functions, read here, not replaced)."""
    roles = roles_for_path(path)
    return None if roles is None else role_refusal(user, roles)


def _squashed(name: str) -> str:
    return name.replace("_", "").lower()


def real_values(parameter: str) -> list:
    """Values of rows that exist for a path parameter, found by its name: `invoice_id` takes the
    ids of the models named ...Invoice, `slug` the values of the fields named slug."""
    values: list = []
    base = _squashed(parameter.removesuffix("_id"))
    named = [m for m in apps.get_models() if _squashed(m.__name__).endswith(base)]
    if parameter.endswith("_id") and named:
        for model in named:
            values += model.objects.order_by("-pk").values_list("pk", flat=True)[:20]
    else:
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if f.name == parameter]
            if fields and not fields[0].is_relation:
                values += model.objects.values_list(parameter, flat=True).distinct()[:20]
    return sorted({v for v in values if v is not None}, key=str)


@dataclass
class Run:
    role: str
    tried: set = field(default_factory=set)
    real_rows: dict = field(default_factory=lambda: defaultdict(int))
    succeeded_on_real_rows: set = field(default_factory=set)
    statuses: dict = field(default_factory=lambda: defaultdict(set))
    failures: dict = field(default_factory=dict)
    crafted: set = field(default_factory=set)  # "<operation> <location> <name>=<value>"

    def report(self) -> str:
        keys = sorted(self.failures)
        summary = "\n".join(f"[{self.role}] {label}: {title}" for label, title in keys)
        details = "\n\n".join(f"[{self.role}] {key[0]}: {self.failures[key]}" for key in keys)
        return f"{len(keys)} failures:\n{summary}\n\n{details}"


def fuzz_operation(operation, run: Run, cookies: dict, examples: int) -> None:
    names = [p.name for p in operation.path_parameters]
    rows = {name: real_values(name) for name in names}
    rows = {name: values for name, values in rows.items() if values}

    for mode in MODES:

        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
        def call(case, data):
            # An empty path segment names another resource (`/requests//comments`), not this one.
            parameters = case.path_parameters or {}
            assume(all(str(parameters.get(name, "")) != "" for name in names))
            real = bool(rows) and data.draw(st.booleans(), label="real rows")
            if real:
                for name, values in rows.items():
                    case.path_parameters[name] = data.draw(st.sampled_from(values), label=name)
                run.real_rows[operation.label] += 1
            response = case.call(cookies=cookies, headers={"X-CSRFToken": CSRF})
            run.statuses[operation.label].add(response.status_code)
            if real and response.status_code < 300:
                run.succeeded_on_real_rows.add(operation.label)
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    key = (operation.label, f"{failure.title} ({response.status_code})")
                    run.failures.setdefault(key, str(group))

        try:
            call()
        except Unsatisfiable:
            # Nothing to break: an operation that takes no input has no invalid input.
            assert mode is GenerationMode.NEGATIVE, operation.label

    def call_crafted(label: str, case) -> None:
        response = case.call(cookies=cookies, headers={"X-CSRFToken": CSRF})
        run.statuses[operation.label].add(response.status_code)
        run.crafted.add(f"{operation.label} {label}")
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (operation.label, f"{failure.title} ({response.status_code}) for {label}")
                run.failures.setdefault(key, str(group))

    real_ids = {name: values[-1] for name, values in rows.items()}
    run_crafted(operation, call_crafted, path_parameters=real_ids)
    run.tried.add(operation.label)


def schema_operations() -> dict[str, dict]:
    """Every operation of the API as django-ninja documents it, read apart from schemathesis."""
    document = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}": operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


@pytest.mark.parametrize("role", ROLES)
def test_no_input_breaks_the_api_for_any_role(role, wsgi_app, world):
    run = Run(role)
    cookies = cookies_for(world[role])
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app)
    shut = {}  # operation label: the status the door answers this role with
    for result in schema.get_all_operations():
        operation = result.ok()
        door = door_refusal(world[role], operation.path)
        if door is not None:
            shut[operation.label] = DOOR_ANSWER[door]
        fuzz_operation(operation, run, cookies, EXAMPLES[role] if door is None else DOOR_EXAMPLES)

    operations = schema_operations()
    assert run.tried == set(operations)
    # Where the door was shut, it answered every request, valid, invalid or crafted.
    assert {label: run.statuses[label] for label in shut} == {
        label: {status} for label, status in shut.items()
    }
    # ...and it was shut to the anonymous and customers on every staff path, to staff on none.
    staff_paths = {label for label in operations if roles_for_path(label.split(" ", 1)[1])}
    assert set(shut) == (staff_paths if role in ("anonymous", "customer") else set())
    assert not run.failures, run.report()
    # The crafted numbers reached the parameters that were 500s.
    assert {
        "GET /api/v1/staff/invoices query q='²'",
        f"GET /api/v1/staff/invoices query q='{2**63}'",
        "GET /api/v1/staff/requests query assignee='²'",
        "GET /api/v1/staff/risk/events query after='٣'",
        f"GET /api/v1/staff/alerts/{{alert_id}} path alert_id='{10**30}'",
    } <= run.crafted
    if world[role] is None:
        # The anonymous are asked to sign in wherever a session is needed, and get nothing there
        # (a path no route takes, `/inbox/abc/read`, is a plain 404).
        secured = {label for label, operation in operations.items() if operation.get("security")}
        let_in = {label for label in secured if min(run.statuses[label]) < 400}
        asked_to_sign_in = {label for label in secured if 401 in run.statuses[label]}
        assert (let_in, asked_to_sign_in) == (set(), secured)
    else:
        # The seeded rows were reached: operations with path parameters succeeded on real ids.
        assert run.succeeded_on_real_rows, dict(run.statuses)


class ClashRecordingSchema(OpenAPISchema):
    """django-ninja's document builder, noting a schema name given to two different schemas
    (it keeps the last one silently, so the other operations' answers no longer match)."""

    def __init__(self, *args, **kwargs) -> None:
        self.clashes: dict[str, int] = defaultdict(int)
        super().__init__(*args, **kwargs)

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            if name in self.schemas and self.schemas[name] != definition:
                self.clashes[name] += 1
        super().add_schema_definitions(definitions)


def test_each_schema_name_in_the_document_names_one_schema():
    document = ClashRecordingSchema(api, api.get_root_path({}))
    assert document["paths"]
    assert dict(document.clashes) == {}, "rename one of each pair of same-named schemas"


# Found by the fuzzer on PostgreSQL, whose text cannot hold NUL: each was a 500, the profile a
# 503 with an admin alert. Now a field error, the same on every database.
NUL_CASES = [
    ("admin", "get", "/api/v1/staff/alerts/?reason=%00", None, ["query", "reason"]),
    ("admin", "get", "/api/v1/staff/invoices?q=a%00b", None, ["query", "q"]),
    ("admin", "get", "/api/v1/staff/alerts/%00", None, ["path", "alert_id"]),
    ("customer", "post", "/api/v1/me/subscriptions", {"plan": "a\x00", "cycle": "monthly"}, None),
    ("customer", "put", "/api/v1/me/profile", {"company": "A\x00", "country": "GB"}, None),
]


@pytest.mark.parametrize(("role", "method", "url", "body", "loc"), NUL_CASES)
def test_nul_in_any_text_is_a_field_error(role, method, url, body, loc, request):
    client = request.getfixturevalue({"admin": "admin_client_2fa"}.get(role, f"{role}_client"))
    options = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
    response = getattr(client, method)(url, **options)

    assert response.status_code == 422, response.content
    expected = loc or ["body", next(k for k, v in body.items() if "\x00" in v)]
    assert [error["loc"] for error in response.json()["detail"]] == [expected]
    assert not AdminAlert.objects.exists()
