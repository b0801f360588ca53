"""The access matrix: every page and every API operation, asked by each role, answers as the tables
below say. A route in the URLconf, or an operation in the API, that has no row fails the test by
name ("new endpoint without an access rule").

Every row gives six outcomes, in the order of ROLES: anonymous, customer A (who owns every
customer object the URLs name), customer B (another customer: A's objects are 404 for B), sysops,
manager, admin (staff all have TOTP). An outcome is a status code, LOGIN (302 to the sign-in page)
or "302 <path>" (any other redirect). Each request runs in a savepoint that is rolled back, so every
role meets the same rows. No answer to anonymous or customer B may contain any of A's details.

To add a route: add one row to PAGES (keyed by its URLconf pattern) or API (keyed by "METHOD
path" as the OpenAPI schema writes it). URL parameters are filled from World.ids by name, or by
the row's `params` ({"message_id": "outbox_message"}).
"""

import dataclasses
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from config.api import api
from onboarding.accounts.models import TestClock
from onboarding.core.roles import Role
from tests.factories import DEFAULT_PASSWORD

ROLES = ("anonymous", "customer_a", "customer_b", "sysops", "manager", "admin")
LOGIN = "login"  # 302 to the sign-in page (with ?next= back)


def to(path: str) -> str:
    """A redirect to somewhere other than the sign-in page."""
    return f"302 {path}"


@dataclass(frozen=True)
class Rule:
    """How one route answers: `expect` holds an outcome per role, in the order of ROLES."""

    expect: tuple
    methods: tuple[str, ...] = ("GET",)
    params: dict[str, str] = field(default_factory=dict)  # URL parameter -> World.ids key
    paths: tuple[str, ...] = ()  # explicit URLs ("{key}" from World.ids), for regex routes
    data: Callable[[dict], dict] | None = None  # the body sent, from World.ids
    # False for a service that opens a durable transaction (payments), which cannot run inside a
    # savepoint: its requests then keep their effects, in the order of ROLES.
    savepoint: bool = True

    def __post_init__(self) -> None:
        assert len(self.expect) == len(ROLES), self


def POST(expect: tuple, **kwargs) -> Rule:
    return Rule(expect, methods=("POST",), **kwargs)


def GET_POST(expect: tuple, **kwargs) -> Rule:
    return Rule(expect, methods=("GET", "POST"), **kwargs)


# The usual answers, (anonymous, customer A, customer B, sysops, manager, admin).
PUBLIC = (200, 200, 200, 200, 200, 200)
SIGNED_IN = (LOGIN, 200, 200, 200, 200, 200)  # every signed-in user, each their own
CUSTOMERS = (LOGIN, 200, 200, 404, 404, 404)  # a customer's own page; staff have none
A_ONLY = (LOGIN, 200, 404, 404, 404, 404)  # a page about one of A's rows
STAFF = (LOGIN, 404, 404, 200, 200, 200)  # the staff console (role and TOTP)
ADMIN = (LOGIN, 404, 404, 403, 403, 200)  # the Django admin
API_PUBLIC = PUBLIC
API_SIGNED_IN = (401, 200, 200, 200, 200, 200)
API_CUSTOMERS = (401, 200, 200, 404, 404, 404)
API_A_ONLY = (401, 200, 404, 404, 404, 404)
# Signed in already: each is sent to their own home, customers their account, staff the console.
HOMES = (to("/account/"), to("/account/"), to("/staff/"), to("/staff/"), to("/staff/"))
API_STAFF = (401, 404, 404, 200, 200, 200)
# Webhooks: admins only; other staff roles are refused (and the refusal recorded).
WEBHOOK_ADMINS = (LOGIN, 404, 404, 403, 403, 200)
API_WEBHOOK_ADMINS = (401, 404, 404, 403, 403, 200)

# URL parameters that name one of customer A's rows: customer B must get 404 wherever they appear.
OWNED_BY_A = {
    "subscription_id",
    "invoice_id",
    "credit_note_id",
    "contract_id",
    "acceptance_id",
    "contact_id",
    "request_id",
    "credit_id",
    "inbox_message",
    "customer_id",
}

# --- pages: every pattern of config/urls.py, API operations apart ---------------------------------

PAGES: dict[str, Rule] = {
    # public site, operations
    "": GET_POST(PUBLIC),
    # The footer's language switcher (docs/i18n.md): anyone, back to the page it was used on.
    "language/": POST(
        (to("/pricing/"),) * 6, data=lambda ids: {"language": "de", "next": "/pricing/"}
    ),
    "pricing/": Rule(PUBLIC),
    "healthz": Rule(PUBLIC),
    "readyz": Rule(PUBLIC),
    "metrics": Rule(PUBLIC),  # loopback, no proxy: the test client's REMOTE_ADDR is 127.0.0.1
    # Stripe's webhooks: public, POST only, guarded by Stripe's signature (none here: 400).
    "webhooks/stripe/": POST((400,) * 6),
    "api/v1/": Rule(PUBLIC),  # the API root: where its description is
    "^api/": Rule((404,) * 6, paths=("/api/v1/inbox/null,null",)),  # no operation: a JSON 404
    "api/v1/docs": Rule(PUBLIC),
    "api/v1/openapi.json": Rule(PUBLIC),
    # sign-in, sign-up, email, password, second factor (django-allauth)
    "accounts/login/": Rule((200, *HOMES)),
    "accounts/signup/": Rule((200, *HOMES)),
    "accounts/logout/": Rule((to("/"), 200, 200, 200, 200, 200)),
    "accounts/inactive/": Rule(PUBLIC),
    "accounts/reauthenticate/": Rule(SIGNED_IN),
    "accounts/email/": Rule(SIGNED_IN),
    "accounts/confirm-email/": Rule(PUBLIC),
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": Rule(
        PUBLIC, paths=("/accounts/confirm-email/not-a-real-key/",)
    ),
    "accounts/password/change/": Rule(SIGNED_IN),
    "accounts/password/set/": Rule((LOGIN, *[to("/accounts/password/change/")] * 5)),
    "accounts/password/reset/": Rule(PUBLIC),
    "accounts/password/reset/done/": Rule(PUBLIC),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": Rule(
        PUBLIC, paths=("/accounts/password/reset/key/zz-not-a-real-key/",)
    ),
    "accounts/password/reset/key/done/": Rule(PUBLIC),
    "accounts/login/code/confirm/": Rule((LOGIN, *HOMES)),
    "accounts/2fa/": Rule(SIGNED_IN),
    "accounts/2fa/authenticate/": Rule((LOGIN, *HOMES)),
    "accounts/2fa/reauthenticate/": Rule(
        (LOGIN, to("/accounts/reauthenticate/"), to("/accounts/reauthenticate/"), 200, 200, 200)
    ),
    "accounts/2fa/totp/activate/": Rule((LOGIN, *[to("/accounts/reauthenticate/")] * 5)),
    "accounts/2fa/totp/deactivate/": Rule(
        (LOGIN, 404, 404, *[to("/accounts/reauthenticate/")] * 3)
    ),
    "accounts/2fa/recovery-codes/": Rule((LOGIN, 404, 404, 404, 404, 404)),  # none generated
    "accounts/2fa/recovery-codes/generate/": Rule((LOGIN, *[to("/accounts/reauthenticate/")] * 5)),
    "accounts/2fa/recovery-codes/download/": Rule((LOGIN, 404, 404, 404, 404, 404)),
    # the customer's own account
    "account/": Rule(CUSTOMERS),
    "account/profile/": GET_POST(CUSTOMERS),
    "account/contacts/": GET_POST(CUSTOMERS),
    "account/contacts/<int:contact_id>/": GET_POST(A_ONLY),
    # Without JavaScript a removal answers with the list again (htmx gets it in place).
    "account/contacts/<int:contact_id>/delete/": POST(
        (LOGIN, to("/account/contacts/"), 404, 404, 404, 404)
    ),
    # Both customers have a card on file: replacing it asks for the password again first.
    "account/card/": GET_POST((LOGIN, *[to("/accounts/reauthenticate/")] * 2, 404, 404, 404)),
    # No card waits for confirmation in this session: back to the card page.
    "account/card/confirm/": GET_POST((LOGIN, *[to("/account/card/")] * 2, 404, 404, 404)),
    # A visitor who clicks Buy is offered sign-up first, the plan kept (billing.intent).
    # A plan nobody owns: a plan already owned sends a POST (a second tap) to the account.
    "buy/<slug:slug>/": GET_POST(
        (to("/accounts/signup/"), 200, 200, 404, 404, 404), paths=("/buy/spare-care/",)
    ),
    "account/subscriptions/<int:subscription_id>/cycle/": POST(
        (LOGIN, to("/account/"), 404, 404, 404, 404), data=lambda ids: {"cycle": "annual"}
    ),
    "account/subscriptions/<int:subscription_id>/plan/": Rule(A_ONLY),
    "account/subscriptions/<int:subscription_id>/plan/scheduled/cancel/": POST(
        (LOGIN, to("/account/subscriptions/{subscription_id}/plan/"), 404, 404, 404, 404)
    ),
    "account/invoices/": Rule(CUSTOMERS),
    "account/invoices/<int:invoice_id>/": Rule(A_ONLY),
    "account/invoices/<int:invoice_id>/pdf/": Rule(A_ONLY),
    "account/invoices/<int:invoice_id>/pay/": POST(
        (LOGIN, to("/account/invoices/{invoice_id}/"), 404, 404, 404, 404)
    ),
    "account/invoices/<int:invoice_id>/credit-notes/<int:credit_note_id>/pdf/": Rule(A_ONLY),
    # The world's invoice waits for no confirmation: its customer is sent back to it.
    "account/invoices/<int:invoice_id>/confirm/": GET_POST(
        (LOGIN, to("/account/invoices/{invoice_id}/"), 404, 404, 404, 404),
        data=lambda ids: {"decision": "cancel"},
    ),
    "account/contracts/": Rule(CUSTOMERS),
    "account/contracts/<int:contract_id>/": Rule(A_ONLY),
    "account/contracts/<int:contract_id>/contract.pdf": Rule(A_ONLY),
    "account/contracts/<int:contract_id>/documents/<int:version>.pdf": Rule(A_ONLY),
    "account/contracts/<int:contract_id>/certificate/<int:acceptance_id>.pdf": Rule(A_ONLY),
    "account/contracts/<int:contract_id>/acknowledge": POST((LOGIN, 422, 404, 404, 404, 404)),
    "account/contracts/<int:contract_id>/email": POST(
        (LOGIN, to("/account/contracts/{contract_id}/"), 404, 404, 404, 404)
    ),
    "account/contracts/<int:contract_id>/manage": Rule(A_ONLY),
    "account/contracts/<int:contract_id>/cancel": POST((LOGIN, 422, 404, 404, 404, 404)),
    "account/requests/": Rule(CUSTOMERS),
    "account/requests/new/": GET_POST(CUSTOMERS),
    "account/requests/<int:request_id>/": GET_POST(A_ONLY),
    # every user's in-app inbox
    "inbox/": Rule(SIGNED_IN),
    "inbox/read-all": POST((LOGIN, *[to("/inbox/")] * 5)),
    "inbox/<int:message_id>/": Rule(A_ONLY, params={"message_id": "inbox_message"}),
    "inbox/<int:message_id>/read": POST(
        (LOGIN, to("/inbox/"), 404, 404, 404, 404), params={"message_id": "inbox_message"}
    ),
    # the staff console
    "staff/": Rule(STAFF),
    "staff/counts/": Rule(STAFF),  # the staff navigation's count badges (htmx poll)
    "staff/subscriptions/<int:subscription_id>/plan/": Rule(STAFF),
    "staff/subscriptions/<int:subscription_id>/plan/scheduled/cancel/": POST(
        (LOGIN, 404, 404, *[to("/staff/subscriptions/{subscription_id}/plan/")] * 3)
    ),
    "staff/audit/": Rule(STAFF),
    "staff/audit/<int:pk>/": Rule(STAFF, params={"pk": "audit_entry"}),
    "staff/alerts/": Rule(STAFF),
    "staff/alerts/<int:alert_id>/": Rule(STAFF),
    "staff/alerts/<int:alert_id>/acknowledge": POST(
        (LOGIN, 404, 404, 403, 403, to("/staff/alerts/{alert_id}/"))  # admins only
    ),
    "staff/alerts/<int:alert_id>/resolve": POST(
        (LOGIN, 404, 404, 403, 403, to("/staff/alerts/{alert_id}/"))  # admins only
    ),
    "staff/mail/": Rule(STAFF),
    "staff/mail/<int:mail_id>/": Rule(STAFF),
    "staff/mail/<int:mail_id>/html": Rule(STAFF),
    "staff/mail/outbox/": Rule(STAFF),
    "staff/mail/outbox/<int:message_id>/": Rule(STAFF, params={"message_id": "outbox_message"}),
    "staff/mail/outbox/<int:message_id>/requeue": POST(
        (LOGIN, 404, 404, 403, 403, 409),  # admins only; this message was delivered
        params={"message_id": "outbox_message"},
    ),
    "staff/tasks/": Rule(STAFF),
    "staff/tasks/<uuid:task_id>/requeue": POST(
        (LOGIN, 404, 404, 403, 403, to("/staff/tasks/"))  # admins only
    ),
    "staff/funnel/": Rule(STAFF),
    "staff/funnel/data/": Rule(STAFF),
    "staff/customers/": Rule(STAFF),
    "staff/customers/<int:customer_id>/": Rule((LOGIN, 404, 404, 200, 200, 200)),
    "staff/requests/": Rule(STAFF),
    "staff/sla/breaches/": Rule(STAFF),
    "staff/sla/breaches.csv": Rule(STAFF),
    "staff/requests/<int:request_id>/": Rule((LOGIN, 404, 404, 200, 200, 200)),
    "staff/requests/<int:request_id>/assign": POST(
        (LOGIN, 404, 404, *[to("/staff/requests/{request_id}/")] * 3)
    ),
    "staff/requests/<int:request_id>/comment": POST((LOGIN, 404, 404, 422, 422, 422)),
    "staff/requests/<int:request_id>/status": POST((LOGIN, 404, 404, 422, 422, 422)),
    "staff/requests/<int:request_id>/severity": POST((LOGIN, 404, 404, 422, 422, 422)),
    # Issue 19: service credits for SLA breaches, decided by managers and admins only (an
    # empty form: 422).
    "staff/service-credits/": Rule((LOGIN, 404, 404, 403, 200, 200)),
    "staff/service-credits/<int:credit_id>/": Rule((LOGIN, 404, 404, 403, 200, 200)),
    "staff/service-credits/<int:credit_id>/approve": POST((LOGIN, 404, 404, 403, 422, 422)),
    "staff/service-credits/<int:credit_id>/decline": POST((LOGIN, 404, 404, 403, 422, 422)),
    "staff/invoices/": Rule(STAFF),
    "staff/invoices/<int:invoice_id>/": Rule((LOGIN, 404, 404, 200, 200, 200)),
    "staff/invoices/<int:invoice_id>/pdf/": Rule((LOGIN, 404, 404, 200, 200, 200)),
    "staff/invoices/<int:invoice_id>/credit-notes/<int:credit_note_id>/pdf/": Rule(
        (LOGIN, 404, 404, 200, 200, 200)
    ),
    "staff/invoices/<int:invoice_id>/refund/": POST((LOGIN, 404, 404, 422, 422, 422)),
    "staff/invoices/<int:invoice_id>/void/": POST((LOGIN, 404, 404, 422, 422, 422)),
    # Issue 17: a manager's dunning decision (an empty form: 422; SysOps are refused by the
    # service on a filled one, tests/billing/test_dunning_decisions.py).
    "staff/invoices/<int:invoice_id>/dunning-decision/": POST((LOGIN, 404, 404, 422, 422, 422)),
    "staff/contracts/": Rule(STAFF),
    "staff/contracts/<int:contract_id>/": Rule((LOGIN, 404, 404, 200, 200, 200)),
    "staff/contracts/<int:contract_id>/documents/<int:version>.pdf": Rule(
        (LOGIN, 404, 404, 200, 200, 200)
    ),
    "staff/contracts/<int:contract_id>/certificate/<int:acceptance_id>.pdf": Rule(
        (LOGIN, 404, 404, 200, 200, 200)
    ),
    # acceptance (issue 7): staff capture and rate; manager actions refuse SysOps with 403
    "staff/acceptance/": Rule(STAFF),
    "staff/acceptance/contracts/<int:contract_id>/": Rule(STAFF),
    "staff/acceptance/contracts/<int:contract_id>/requirements/": POST(
        (LOGIN, 404, 404, 422, 422, 422)  # an empty form
    ),
    "staff/acceptance/contracts/<int:contract_id>/requirements/from-template/": POST(
        (LOGIN, 404, 404, *[to("/staff/acceptance/contracts/{contract_id}/")] * 3)
    ),
    "staff/acceptance/requirements/<int:requirement_id>/rate/": POST(
        (LOGIN, 404, 404, 422, 422, 422)
    ),
    "staff/acceptance/requirements/<int:requirement_id>/edit/": POST(
        (LOGIN, 404, 404, 422, 422, 422)
    ),
    "staff/acceptance/requirements/<int:requirement_id>/remove/": POST(
        (LOGIN, 404, 404, *[to("/staff/acceptance/contracts/{contract_id}/")] * 3)
    ),
    "staff/acceptance/reviews/<int:review_id>/acknowledge/": POST(
        # SysOps are refused by the service (a message on the contract page), managers acknowledge
        (LOGIN, 404, 404, *[to("/staff/acceptance/contracts/{contract_id}/")] * 3)
    ),
    "staff/acceptance/reviews/<int:review_id>/conditions/": POST((LOGIN, 404, 404, 403, 422, 422)),
    "staff/acceptance/reviews/<int:review_id>/remediation/": POST((LOGIN, 404, 404, 403, 422, 422)),
    "staff/acceptance/reviews/<int:review_id>/escalate/": POST((LOGIN, 404, 404, 403, 422, 422)),
    "staff/acceptance/reviews/<int:review_id>/cancel-contract/": POST(
        (LOGIN, 404, 404, 403, 422, 422)
    ),
    # the live risk board
    # Webhooks: admins only, reading too (an endpoint's log holds every customer's events).
    "staff/webhooks/": GET_POST(
        WEBHOOK_ADMINS, data=lambda ids: {"url": "http://127.0.0.1:9/hooks"}
    ),  # a POST with a valid URL shows the new secret (200)
    "staff/webhooks/<int:endpoint_id>/": Rule(WEBHOOK_ADMINS),
    "staff/webhooks/<int:endpoint_id>/pause": POST(
        (LOGIN, 404, 404, 403, 403, to("/staff/webhooks/{endpoint_id}/"))
    ),
    "staff/webhooks/<int:endpoint_id>/rotate": POST(WEBHOOK_ADMINS),
    "staff/webhooks/<int:endpoint_id>/delete": POST(
        (LOGIN, 404, 404, 403, 403, to("/staff/webhooks/"))
    ),
    "staff/webhooks/<int:endpoint_id>/replay": POST(
        (LOGIN, 404, 404, 403, 403, to("/staff/webhooks/{endpoint_id}/")),
        data=lambda ids: {"starts_at": "2020-01-01T00:00", "ends_at": "2030-01-01T00:00"},
    ),
    "staff/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend": POST(
        (LOGIN, 404, 404, 403, 403, to("/staff/webhooks/{endpoint_id}/"))
    ),
    # Test clocks: admins only (a clock's events hold its customers' whole history).
    "staff/test-clocks/": Rule(WEBHOOK_ADMINS),
    "staff/test-clocks/<int:clock_id>/": Rule(WEBHOOK_ADMINS),
    # Empty forms: the admin is shown the field errors (400), nobody else gets that far.
    "staff/test-clocks/<int:clock_id>/customers": POST((LOGIN, 404, 404, 403, 403, 400)),
    "staff/test-clocks/<int:clock_id>/advance": POST((LOGIN, 404, 404, 403, 403, 400)),
    "staff/risk/": Rule(STAFF),
    # the managers' health queue: every staff role, as the risk board and acceptance console
    "staff/health/": Rule(STAFF),
    # a review of a fall into red: every staff role reads it; managers and admins acknowledge and
    # choose the next action (SysOps 403), each answered by a redirect back to the review
    "staff/health/reviews/<int:review_id>/": Rule(STAFF, params={"review_id": "health_review"}),
    "staff/health/reviews/<int:review_id>/acknowledge/": POST(
        (LOGIN, 404, 404, 403, *[to("/staff/health/reviews/{health_review}/")] * 2),
        params={"review_id": "health_review"},
    ),
    "staff/health/reviews/<int:review_id>/act/": POST(
        (LOGIN, 404, 404, 403, *[to("/staff/health/reviews/{health_review}/")] * 2),
        params={"review_id": "health_review"},
        data=lambda ids: {"action": "accept_risk", "note": "Paying next week"},
    ),
    "staff/risk/events": Rule(STAFF),
    "staff/risk/counts.json": Rule(STAFF),
    "staff/risk/<int:event_id>/resolve/": POST(
        (LOGIN, 404, 404, *[to("/staff/risk/")] * 3), data=lambda ids: {"note": "handled"}
    ),
    "staff/contracts/^(?P<contract_id>[0-9]+)/(?P<action>retry|email|renew|amend|cancel)$": POST(
        (LOGIN, 404, 404, *[to("/staff/contracts/{contract_id}/")] * 3),
        paths=tuple(
            f"/staff/contracts/{{contract_id}}/{action}"
            for action in ("retry", "email", "renew", "amend", "cancel")
        ),
    ),
}

# The Django admin is one group: every pattern under admin/ needs the admin role and TOTP. These
# are the pages asked for (every model's list, an object, the index); each answers ADMIN.
ADMIN_PREFIX = "admin/"
ADMIN_LOGIN = (LOGIN, 404, 404, 403, 403, LOGIN)  # the admin's own login hands over to allauth


def admin_paths(ids: dict) -> list[str]:
    from django.contrib import admin

    paths = ["/admin/", "/admin/accounts/", f"/admin/accounts/user/{ids['customer_id']}/change/"]
    for model in admin.site._registry:
        meta = model._meta
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return paths


# --- the API: every operation of /api/v1/ ---------------------------------------------------------

PROFILE = {
    "address_line1": "2 Low Street",
    "city": "Bath",
    "postal_code": "BA1 1AA",
    "country": "GB",
}
CONTACT = {"name": "Yannick New-Contact", "role": "Billing", "email": "yannick@example.com"}

API: dict[str, Rule] = {
    "GET /api/v1/": Rule(API_PUBLIC),
    "GET /api/v1/catalog/plans": Rule(API_PUBLIC),
    "GET /api/v1/catalog/plans/{slug}": Rule(API_PUBLIC),
    # me: the signed-in customer's own account
    "GET /api/v1/me/profile": Rule(API_CUSTOMERS),
    "PUT /api/v1/me/profile": Rule(API_CUSTOMERS, ("PUT",), data=lambda ids: PROFILE),
    "GET /api/v1/me/contacts": Rule(API_CUSTOMERS),
    "POST /api/v1/me/contacts": POST((401, 201, 201, 404, 404, 404), data=lambda ids: CONTACT),
    "PUT /api/v1/me/contacts/{contact_id}": Rule(API_A_ONLY, ("PUT",), data=lambda ids: CONTACT),
    "DELETE /api/v1/me/contacts/{contact_id}": Rule((401, 204, 404, 404, 404, 404), ("DELETE",)),
    "GET /api/v1/me/card": Rule(API_CUSTOMERS),
    "POST /api/v1/me/card": POST(
        (401, 201, 201, 404, 404, 404),
        data=lambda ids: {
            "number": "4242424242424242",
            "exp_month": 12,
            "exp_year": 2040,
            "cvc": "123",
            "password": DEFAULT_PASSWORD,  # replacing a card on file asks for it
        },
    ),
    "GET /api/v1/me/payments": Rule(API_CUSTOMERS),
    "GET /api/v1/me/journey": Rule(API_CUSTOMERS),
    "GET /api/v1/me/subscriptions": Rule(API_CUSTOMERS),
    "POST /api/v1/me/subscriptions": POST(
        (401, 409, 201, 404, 404, 404),  # A has this plan already; B buys it
        data=lambda ids: {"plan": ids["slug"], "cycle": "monthly"},
    ),
    "PUT /api/v1/me/subscriptions/{subscription_id}/cycle": Rule(
        API_A_ONLY, ("PUT",), data=lambda ids: {"cycle": "annual"}
    ),
    # A's own subscription to a plan that does not exist: 404 naming the plan, nothing changed.
    "POST /api/v1/me/subscriptions/{subscription_id}/plan-change/preview": POST(
        API_A_ONLY[:1] + (404,) * 5, data=lambda ids: {"plan": "no-such-plan", "quantity": 1}
    ),
    "POST /api/v1/me/subscriptions/{subscription_id}/plan-change": POST(
        API_A_ONLY[:1] + (404,) * 5, data=lambda ids: {"plan": "no-such-plan", "quantity": 1}
    ),
    # A has nothing scheduled: 422.
    "DELETE /api/v1/me/subscriptions/{subscription_id}/scheduled-change": Rule(
        (401, 422, 404, 404, 404, 404), ("DELETE",)
    ),
    "POST /api/v1/me/subscriptions/{subscription_id}/cycle/now/preview": POST(
        (401, 422, 404, 404, 404, 404), data=lambda ids: {"cycle": "monthly"}
    ),
    "POST /api/v1/me/subscriptions/{subscription_id}/cycle/now": POST(
        (401, 422, 404, 404, 404, 404), data=lambda ids: {"cycle": "monthly"}
    ),
    "GET /api/v1/me/invoices": Rule(API_CUSTOMERS),
    "GET /api/v1/me/invoices/{invoice_id}": Rule(API_A_ONLY),
    "GET /api/v1/me/invoices/{invoice_id}/pdf": Rule(API_A_ONLY),
    "GET /api/v1/me/invoices/{invoice_id}/credit-notes/{credit_note_id}/pdf": Rule(API_A_ONLY),
    "POST /api/v1/me/invoices/{invoice_id}/pay": POST((401, 409, 404, 404, 404, 404)),  # paid
    "GET /api/v1/me/contracts": Rule(API_CUSTOMERS),
    "GET /api/v1/me/contracts/{contract_id}": Rule(API_A_ONLY),
    "GET /api/v1/me/contracts/{contract_id}/pdf": Rule(API_A_ONLY),
    "GET /api/v1/me/contracts/{contract_id}/certificate": Rule(API_A_ONLY),
    "POST /api/v1/me/contracts/{contract_id}/acknowledge": POST(
        (401, 201, 404, 404, 404, 404),
        data=lambda ids: {"name": "Quentin Aardvark", "document_sha256": ids["document_sha256"]},
    ),
    "GET /api/v1/me/requests": Rule(API_CUSTOMERS),
    "POST /api/v1/me/requests": POST(
        # B names A's subscription: the field error any unknown subscription gets (tested below)
        (401, 201, 400, 404, 404, 404),
        data=lambda ids: {
            "subscription_id": ids["subscription_id"],
            "kind": "repair",
            "summary": "The export fails",
            "description": "Every export stops half way.",
        },
    ),
    "GET /api/v1/me/requests/{request_id}": Rule(API_A_ONLY),
    "POST /api/v1/me/requests/{request_id}/comments": POST(
        (401, 200, 404, 404, 404, 404), data=lambda ids: {"body": "It happened again."}
    ),
    # every signed-in user's in-app inbox
    "GET /api/v1/inbox/": Rule(API_SIGNED_IN),
    "GET /api/v1/inbox/summary": Rule(API_SIGNED_IN),
    "POST /api/v1/inbox/read-all": POST(API_SIGNED_IN),
    "GET /api/v1/inbox/{message_id}": Rule(API_A_ONLY, params={"message_id": "inbox_message"}),
    "POST /api/v1/inbox/{message_id}/read": POST(
        API_A_ONLY, params={"message_id": "inbox_message"}
    ),
    # staff
    "GET /api/v1/staff/funnel": Rule(API_STAFF),
    "GET /api/v1/staff/audit/": Rule(API_STAFF),
    "GET /api/v1/staff/audit/{entry_id}": Rule(API_STAFF, params={"entry_id": "audit_entry"}),
    "GET /api/v1/staff/alerts/": Rule(API_STAFF),
    "GET /api/v1/staff/alerts/{alert_id}": Rule(API_STAFF),
    "POST /api/v1/staff/alerts/{alert_id}/acknowledge": POST((401, 404, 404, 403, 403, 200)),
    "POST /api/v1/staff/alerts/{alert_id}/resolve": POST((401, 404, 404, 403, 403, 200)),
    "GET /api/v1/staff/mail/": Rule(API_STAFF),
    "GET /api/v1/staff/mail/{mail_id}": Rule(API_STAFF),
    "GET /api/v1/staff/mail/outbox/": Rule(API_STAFF),
    "GET /api/v1/staff/mail/outbox/{message_id}": Rule(
        API_STAFF, params={"message_id": "outbox_message"}
    ),
    "POST /api/v1/staff/mail/outbox/{message_id}/requeue": POST(
        (401, 404, 404, 403, 403, 409), params={"message_id": "outbox_message"}
    ),
    "GET /api/v1/staff/customers": Rule(API_STAFF),
    "GET /api/v1/staff/customers/lookup": Rule(
        API_STAFF, paths=("/api/v1/staff/customers/lookup?email={customer_email}",)
    ),
    "GET /api/v1/staff/customers/{customer_id}/overview": Rule(API_STAFF),
    "GET /api/v1/staff/customers/{customer_id}/health": Rule(API_STAFF),
    "GET /api/v1/staff/requests": Rule(API_STAFF),
    "POST /api/v1/staff/requests": POST(
        (401, 404, 404, 201, 201, 201),
        data=lambda ids: {
            "customer_id": ids["customer_id"],
            "subscription_id": ids["subscription_id"],
            "kind": "troubleshoot",
            "summary": "Phoned in: slow reports",
            "description": "Reports take minutes to open.",
        },
    ),
    "GET /api/v1/staff/requests/{request_id}": Rule(API_STAFF),
    "POST /api/v1/staff/requests/{request_id}/assign": POST(
        (401, 404, 404, 200, 200, 200), data=lambda ids: {"assignee_id": ids["sysops_user"]}
    ),
    "POST /api/v1/staff/requests/{request_id}/comments": POST(
        (401, 404, 404, 200, 200, 200), data=lambda ids: {"body": "Looking", "internal": True}
    ),
    "POST /api/v1/staff/requests/{request_id}/status": POST(
        (401, 404, 404, 200, 200, 200), data=lambda ids: {"status": "in_progress"}
    ),
    "GET /api/v1/staff/invoices": Rule(API_STAFF),
    "GET /api/v1/staff/invoices/{invoice_id}": Rule(API_STAFF),
    "GET /api/v1/staff/invoices/{invoice_id}/pdf": Rule(API_STAFF),
    "POST /api/v1/staff/invoices/{invoice_id}/refund": POST(
        (401, 404, 404, 201, 201, 201),  # three refunds of 1.00 EUR, one after the other
        data=lambda ids: {"amount_minor": 100, "reason": "Another goodwill gesture"},
        savepoint=False,
    ),
    "POST /api/v1/staff/invoices/{invoice_id}/void": POST(
        (401, 404, 404, 409, 409, 409), data=lambda ids: {"reason": "Issued by mistake"}
    ),  # a paid invoice cannot be voided
    "POST /api/v1/staff/invoices/{invoice_id}/dunning-decision": POST(
        (401, 404, 404, 403, 409, 409),  # managers only; a paid invoice waits for no decision
        data=lambda ids: {"decision": "extend", "days": 5},
    ),
    "GET /api/v1/staff/contracts": Rule(API_STAFF),
    "GET /api/v1/staff/contracts/{contract_id}": Rule(API_STAFF),
    "GET /api/v1/staff/contracts/{contract_id}/documents/{version}/pdf": Rule(API_STAFF),
    "POST /api/v1/staff/contracts/{contract_id}/renew": POST((401, 404, 404, 200, 200, 200)),
    "POST /api/v1/staff/contracts/{contract_id}/cancel": POST(
        (401, 404, 404, 200, 200, 200), data=lambda ids: {"reason": "Customer asked"}
    ),
    "POST /api/v1/staff/contracts/{contract_id}/amend": POST(
        (401, 404, 404, 200, 200, 200), data=lambda ids: {"reason": "Address changed"}
    ),
    "POST /api/v1/staff/contracts/{contract_id}/retry": POST((401, 404, 404, 409, 409, 409)),
    "POST /api/v1/staff/contracts/{contract_id}/email": POST((401, 404, 404, 409, 409, 409)),
    "GET /api/v1/staff/acceptance": Rule(API_STAFF),
    "GET /api/v1/staff/acceptance/contracts/{contract_id}": Rule(API_STAFF),
    "POST /api/v1/staff/acceptance/contracts/{contract_id}/requirements": POST(
        (401, 404, 404, 201, 201, 201),
        data=lambda ids: {
            "title": "Backups",
            "criteria": "A restore was tested",
            "rating": "green",
        },
    ),
    "POST /api/v1/staff/acceptance/requirements/{requirement_id}/rating": POST(
        (401, 404, 404, 200, 200, 200), data=lambda ids: {"rating": "yellow"}
    ),
    "POST /api/v1/staff/acceptance/reviews/{review_id}/acknowledge": POST(
        (401, 404, 404, 403, 200, 200)  # a red review: managers (and admins) only
    ),
    "POST /api/v1/staff/acceptance/reviews/{review_id}/actions": POST(
        (401, 404, 404, 403, 200, 200), data=lambda ids: {"action": "escalate", "note": "Help"}
    ),
    # Service credits: managers and admins only (SysOps 403). The manager's approval issues the
    # credit (a refund in the sandbox), so the admin's then finds it approved already (409); a
    # decline without a reason is a field error for both.
    "GET /api/v1/staff/service-credits": Rule((401, 404, 404, 403, 200, 200)),
    "GET /api/v1/staff/service-credits/{credit_id}": Rule((401, 404, 404, 403, 200, 200)),
    "POST /api/v1/staff/service-credits/{credit_id}/approve": POST(
        (401, 404, 404, 403, 200, 409),
        savepoint=False,  # the refund commits its own record
    ),
    "POST /api/v1/staff/service-credits/{credit_id}/decline": POST(
        (401, 404, 404, 403, 422, 422), data=lambda ids: {}
    ),
    "GET /api/v1/staff/webhooks/event-types": Rule(API_WEBHOOK_ADMINS),
    "GET /api/v1/staff/webhooks/": Rule(API_WEBHOOK_ADMINS),
    "POST /api/v1/staff/webhooks/": POST(
        (401, 404, 404, 403, 403, 201), data=lambda ids: {"url": "http://127.0.0.1:9/hooks"}
    ),
    "GET /api/v1/staff/webhooks/{endpoint_id}": Rule(API_WEBHOOK_ADMINS),
    "PATCH /api/v1/staff/webhooks/{endpoint_id}": Rule(
        API_WEBHOOK_ADMINS, ("PATCH",), data=lambda ids: {"paused": True}
    ),
    "DELETE /api/v1/staff/webhooks/{endpoint_id}": Rule(API_WEBHOOK_ADMINS, ("DELETE",)),
    "POST /api/v1/staff/webhooks/{endpoint_id}/rotate-secret": POST(API_WEBHOOK_ADMINS),
    "GET /api/v1/staff/webhooks/{endpoint_id}/deliveries": Rule(API_WEBHOOK_ADMINS),
    "POST /api/v1/staff/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend": POST(
        (401, 404, 404, 403, 403, 201)
    ),
    "POST /api/v1/staff/webhooks/{endpoint_id}/replays": POST(
        (401, 404, 404, 403, 403, 201),
        data=lambda ids: {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
    ),
    "GET /api/v1/staff/test-clocks/": Rule(API_WEBHOOK_ADMINS),
    "POST /api/v1/staff/test-clocks/": POST(
        (401, 404, 404, 403, 403, 201), data=lambda ids: {"name": "Matrix clock"}
    ),
    "GET /api/v1/staff/test-clocks/{clock_id}": Rule(API_WEBHOOK_ADMINS),
    "POST /api/v1/staff/test-clocks/{clock_id}/customers": POST(
        (401, 404, 404, 403, 403, 422), data=lambda ids: {"email": "not-an-address"}
    ),
    "POST /api/v1/staff/test-clocks/{clock_id}/advance": POST(
        (401, 404, 404, 403, 403, 422), data=lambda ids: {"amount": 1, "unit": "weeks"}
    ),
    "GET /api/v1/staff/test-clocks/{clock_id}/events": Rule(API_WEBHOOK_ADMINS),
    "GET /api/v1/staff/risk": Rule(API_STAFF),
    "GET /api/v1/staff/health": Rule(API_STAFF),
    "GET /api/v1/staff/health/reviews/{review_id}": Rule(
        API_STAFF, params={"review_id": "health_review"}
    ),
    "POST /api/v1/staff/health/reviews/{review_id}/acknowledge": POST(
        (401, 404, 404, 403, 200, 200), params={"review_id": "health_review"}
    ),
    "POST /api/v1/staff/health/reviews/{review_id}/actions": POST(
        (401, 404, 404, 403, 200, 200),
        params={"review_id": "health_review"},
        data=lambda ids: {"action": "escalate", "note": "Help"},
    ),
    "GET /api/v1/staff/risk/events": Rule(API_STAFF),
    "GET /api/v1/staff/risk/counts": Rule(API_STAFF),
    "POST /api/v1/staff/risk/{event_id}/resolve": POST(
        (401, 404, 404, 200, 200, 200), data=lambda ids: {"note": "Handled"}
    ),
}


# --- what exists: the URLconf and the API, enumerated ---------------------------------------------


def ninja_operations(callback) -> list | None:
    """The django-ninja operations behind a URL pattern's view, or None for any other view."""
    try:  # unwrap: OnboardingAPI wraps each view (a JSON 405)
        bound = inspect.getclosurevars(inspect.unwrap(callback)).nonlocals.get("self")
    except TypeError:
        return None
    return getattr(bound, "operations", None)


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def enumerate_pages() -> set[str]:
    """Every route of the URLconf, as its pattern, except django-ninja's API operations."""
    return {
        route
        for route, pattern in _patterns(get_resolver())
        if ninja_operations(pattern.callback) is None
    }


def enumerate_api() -> set[str]:
    """Every API operation as "METHOD /api/v1/path/{param}": from the URLconf (operations left out
    of the schema too) and from the OpenAPI schema."""
    found: set[str] = set()
    for route, pattern in _patterns(get_resolver()):
        for operation in ninja_operations(pattern.callback) or ():
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", "/" + route)
            found.update(f"{method} {path}" for method in operation.methods)
    for path, operations in api.get_openapi_schema()["paths"].items():
        found.update(f"{method.upper()} {path}" for method in operations)
    return found


def _without_a_rule(found: set[str], table: dict[str, Rule], kind: str) -> list[str]:
    return [f"new {kind} without an access rule: {route!r}" for route in sorted(found - set(table))]


def test_every_page_has_an_access_rule():
    pages = {route for route in enumerate_pages() if not route.startswith(ADMIN_PREFIX)}
    problems = _without_a_rule(pages, PAGES, "endpoint (page)")
    problems += [f"row for a page that no longer exists: {r!r}" for r in sorted(set(PAGES) - pages)]
    assert not problems, "\n".join(problems)


def test_every_api_operation_has_an_access_rule():
    operations = enumerate_api()
    problems = _without_a_rule(operations, API, "endpoint (API operation)")
    problems += [
        f"row for an API operation that no longer exists: {r!r}"
        for r in sorted(set(API) - operations)
    ]
    assert not problems, "\n".join(problems)


def test_another_customers_rows_are_404_in_every_row():
    """The table itself keeps the rule: a URL naming A's row answers B with 404."""
    wrong = []
    for table in (PAGES, API):
        for route, rule in table.items():
            names = set(re.findall(r"[<{](?:\w+:)?(\w+)[>}]", route))
            keys = {rule.params.get(name, name) for name in names}
            if keys & OWNED_BY_A and rule.expect[ROLES.index("customer_b")] != 404:
                wrong.append(route)
    assert not wrong, f"customer B must get 404 for A's rows: {wrong}"


def test_the_enumeration_sees_included_apps_and_every_api_router():
    """The tables are only as good as the enumeration: it reaches into include()d URLconfs,
    allauth and the admin, and finds each API router's operations."""
    pages = enumerate_pages()
    assert {"account/invoices/<int:invoice_id>/", "accounts/login/", "admin/"} <= pages
    assert not any(route.startswith("api/v1/me/") for route in pages)
    operations = enumerate_api()
    assert "PUT /api/v1/me/subscriptions/{subscription_id}/cycle" in operations
    prefixes = {p.split(" ")[1].split("/")[3] for p in operations}
    assert {"catalog", "me", "inbox", "staff"} <= prefixes


# --- the rows every request is made against ------------------------------------------------------


@dataclass
class World:
    clients: dict[str, Client]
    ids: dict[str, Any]
    secrets: list[str]  # what only customer A and staff may be shown


@pytest.fixture
def world(settings, tmp_path, media) -> World:
    from onboarding.acceptance.models import Review
    from onboarding.acceptance.requirements import requirement_add
    from onboarding.acceptance.timers import timers_fire_due
    from onboarding.accounts.services import contact_add
    from onboarding.alerts.services import admin_alert_raise
    from onboarding.audit.models import AuditEntry
    from onboarding.audit.services import audit_seal_pending
    from onboarding.billing.billrun import bill_run_execute
    from onboarding.billing.followups import credit_note_follow_up, invoice_follow_up
    from onboarding.billing.models import Invoice
    from onboarding.billing.refunds import invoice_refund
    from onboarding.contracts.acknowledgement import contract_acknowledge
    from onboarding.contracts.certificates import contract_certificate_generate
    from onboarding.core.money import Money
    from onboarding.health.models import CustomerHealthSnapshot, HealthReview
    from onboarding.notifications.models import InboxMessage, OutboxMessage, SentMail
    from onboarding.notifications.relay import relay_drain
    from onboarding.notifications.services import notification_send
    from onboarding.risk.models import RiskEvent
    from onboarding.sla.models import SlaClock
    from onboarding.sysops.models import ServiceCredit
    from onboarding.webhooks.dispatch import webhooks_dispatch
    from onboarding.webhooks.models import WebhookDelivery
    from onboarding.webhooks.services import endpoint_create
    from onboarding.worker.models import WorkerHeartbeat
    from tests.contracts.conftest import deliver_inline
    from tests.factories import UserFactory, complete_profile, plan_with_prices, staff_user
    from tests.health.shown import scored
    from tests.probes.tasks import failing_probe
    from tests.sysops.conftest import open_request, subscribe

    settings.EMAIL_BACKEND = "onboarding.notifications.mailbox.DatabaseMailboxBackend"
    settings.MAIL_DROP_DIR = tmp_path / "mail"  # the embedded mode's whole emails

    plan = plan_with_prices("access-care")
    customer_a = UserFactory(first_name="Quentin", last_name="Aardvark")
    customer_b = UserFactory(first_name="Beatrix", last_name="Bystander")
    subscription = subscribe(customer_a, plan)
    complete_profile(customer_a.customer, company="Zyxwvut Alpha Holdings", phone="+441179460123")
    subscribe(customer_b, plan_with_prices("other-care"))
    plan_with_prices("spare-care")  # on sale, owned by nobody: the buy page's own answers
    # A scored: the customer view, the health queue and its API answer with a score and factors.
    health = scored(customer_a.customer, costs={"payment": 30, "service": 20}, history=[(40, 90)])
    # ... and a managers' review of a fall into red (as a crossing opens one), still open.
    health_review = HealthReview.objects.create(
        customer=customer_a.customer,
        snapshot=CustomerHealthSnapshot.objects.filter(customer=customer_a.customer).first(),
        score=health.score,
        reason="Health 50. Payment -30: overdue",
        opened_at=timezone.now(),
        ack_due_at=timezone.now() + timedelta(hours=4),
        action_due_at=timezone.now() + timedelta(days=3),
    )
    staff = {role: staff_user(role) for role in (Role.SYSOPS, Role.MANAGER, Role.ADMIN)}
    endpoint = endpoint_create(actor=staff[Role.ADMIN], url="http://127.0.0.1:9/hooks").endpoint

    bill_run_execute(run_date=timezone.now().date())  # A's first invoice, issued and paid
    invoice = Invoice.objects.get(subscription=subscription)
    credit_note = invoice_refund(
        invoice=invoice, actor=staff[Role.SYSOPS], amount=Money(100, "EUR"), reason="Goodwill"
    )
    # The worker's work: a download serves the stored PDFs and never renders one itself.
    invoice_follow_up(invoice_id=invoice.pk)
    credit_note_follow_up(credit_note_id=credit_note.pk)
    contract = deliver_inline(subscription)
    document = contract.documents.order_by("-version").first()
    acceptance = contract_acknowledge(
        contract=contract,
        actor=customer_a,
        typed_name="Quentin Aardvark",
        document_sha256=document.sha256,
        client_ip="127.0.0.1",
        user_agent="access-matrix",
    )
    contract_certificate_generate(acceptance_id=acceptance.pk)  # the worker's, as for invoices
    contact = contact_add(
        customer=customer_a.customer,
        actor=customer_a,
        details={"name": "Xanthippe Alpha-Contact", "role": "Technical", "email": "x@alpha.test"},
    )
    service_request = open_request(subscription, summary="Qwertyuiop dashboard is blank")
    service_credit = ServiceCredit.objects.create(  # as a breach of its first response proposes
        customer=customer_a.customer,
        subscription=subscription,
        request=service_request,
        clock=SlaClock.objects.of(service_request).get(kind="first_response"),
        percent=10,
        base_minor=9900,
        amount_minor=1188,
        currency="EUR",
        invoice=invoice,
    )
    notification_send(
        recipient=customer_a,
        kind="test.notice",
        subject="Private notice for Quentin",
        template="notifications/generic",
        context={"body": "Only for customer A", "greeting": "Hello"},
        dedupe_key="access-matrix",
        channels=["in_app", "email"],
    )
    relay_drain(worker_id="access-matrix")
    alert = admin_alert_raise(reason="access_matrix", message="An alert", target=invoice)
    task = failing_probe.enqueue(key="access-matrix").db_result
    task.claim("access-matrix")
    task.set_failed(RuntimeError("failed for the access matrix"))
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="access-matrix", started_at=now, last_seen_at=now)

    # Issue 7: a red requirement on A's contract, left past the manager's deadline (a risk).
    requirement = requirement_add(
        contract=contract,
        actor=staff[Role.SYSOPS],
        title="Remote access",
        criteria="VPN reaches the server",
        rating="red",
    )
    review = Review.objects.get(contract=contract, closed_at__isnull=True)
    timers_fire_due(now=timezone.now() + timedelta(seconds=settings.ACCEPTANCE_RED_ACK_SECONDS + 1))
    risk_event = RiskEvent.objects.get(contract=contract)
    audit_seal_pending()
    webhooks_dispatch()  # the endpoint's deliveries of A's events (never sent: no worker here)

    clients = {"anonymous": Client()}
    for role, user in zip(ROLES[1:], (customer_a, customer_b, *staff.values()), strict=True):
        clients[role] = Client()
        clients[role].force_login(user)
    ids = {
        "slug": plan.slug,
        "subscription_id": subscription.pk,
        "invoice_id": invoice.pk,
        "credit_note_id": credit_note.pk,
        "contract_id": contract.pk,
        "version": document.version,
        "document_sha256": document.sha256,
        "acceptance_id": acceptance.pk,
        "contact_id": contact.pk,
        "request_id": service_request.pk,
        "credit_id": service_credit.pk,
        "inbox_message": InboxMessage.objects.get(recipient=customer_a).pk,
        "outbox_message": OutboxMessage.objects.filter(notification__recipient=customer_a)
        .order_by("pk")
        .first()
        .pk,
        "mail_id": SentMail.objects.order_by("pk").first().pk,
        "alert_id": alert.pk,
        "audit_entry": AuditEntry.objects.filter(customer_id=customer_a.pk).order_by("pk")[0].pk,
        "task_id": task.pk,
        "customer_id": customer_a.customer.pk,
        "customer_email": customer_a.email,
        "sysops_user": staff[Role.SYSOPS].pk,
        "requirement_id": requirement.pk,
        "review_id": review.pk,
        "health_review": health_review.pk,
        "event_id": risk_event.pk,
        "endpoint_id": endpoint.pk,
        "clock_id": TestClock.objects.create(
            name="Matrix", frozen_time=timezone.now(), created_by=staff[Role.ADMIN]
        ).pk,
        "delivery_id": WebhookDelivery.objects.order_by("pk").first().pk,
    }
    secrets = [
        customer_a.email,
        "Zyxwvut Alpha",
        "Xanthippe",
        "Qwertyuiop",
        invoice.number,
        credit_note.number,
        contract.number,
        "Private notice for Quentin",
    ]
    return World(clients=clients, ids=ids, secrets=secrets)


def outcome(response) -> Any:
    if response.status_code == 302:
        target = urlsplit(response["Location"]).path
        return LOGIN if target == reverse("account_login") else to(target)
    return response.status_code


def fill(template: str, rule: Rule, ids: dict) -> str:
    """A route pattern or an explicit path, with its parameters replaced from `ids`."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(ids[rule.params.get(name, name)])

    return re.sub(r"[<{](?:\w+:)?(\w+)[>}]", value, template)


def send(client: Client, method: str, url: str, body: dict | None, *, api: bool):
    if api and method != "GET":
        payload = json.dumps(body or {})
        return client.generic(method, url, data=payload, content_type="application/json")
    if method == "POST":
        return client.post(url, body or {})
    return client.generic(method, url)


def ask(world: World, role: str, method: str, url: str, rule: Rule, *, api: bool):
    """One request, in a savepoint rolled back afterwards (unless the rule says otherwise)."""
    client, body = world.clients[role], rule.data(world.ids) if rule.data else None
    if not rule.savepoint:
        return send(client, method, url, body, api=api)
    with transaction.atomic():
        response = send(client, method, url, body, api=api)
        transaction.set_rollback(True)
    return response


def check(world: World, label: str, rule: Rule, urls: list[str], *, api: bool) -> list[str]:
    problems = []
    for url in urls:
        for method in rule.methods:
            for role, wanted in zip(ROLES, rule.expect, strict=True):
                if isinstance(wanted, str):
                    wanted = fill(wanted, rule, world.ids)
                response = ask(world, role, method, url, rule, api=api)
                got = outcome(response)
                if got != wanted:
                    problems.append(f"{label}: {method} {url} as {role}: {got}, expected {wanted}")
                if role in ("anonymous", "customer_b"):
                    text = response.content.decode(errors="replace")
                    leaked = [secret for secret in world.secrets if secret in text]
                    if leaked:
                        problems.append(f"{label}: {method} {url} shows {role} A's {leaked}")
    return problems


@pytest.mark.django_db
def test_every_page_answers_each_role_as_the_table_says(world):
    problems = []
    for route, rule in PAGES.items():
        templates = rule.paths or ("/" + route,)
        problems += check(
            world, route, rule, [fill(t, rule, world.ids) for t in templates], api=False
        )
    admin_rule = Rule(ADMIN)
    problems += check(world, "admin", admin_rule, admin_paths(world.ids), api=False)
    problems += check(world, "admin", Rule(ADMIN_LOGIN), ["/admin/login/"], api=False)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_every_api_operation_answers_each_role_as_the_table_says(world):
    problems = []
    for key, rule in API.items():
        method, path = key.split(" ", 1)
        rule = dataclasses.replace(rule, methods=(method,))
        templates = rule.paths or (path,)
        problems += check(world, key, rule, [fill(t, rule, world.ids) for t in templates], api=True)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_another_customers_subscription_named_in_a_body_is_as_unknown_as_a_missing_one(world):
    """B opening a request on A's subscription learns nothing: the same field error as for an id
    that does not exist."""

    def open_request_on(subscription_id: int):
        response = world.clients["customer_b"].post(
            "/api/v1/me/requests",
            {
                "subscription_id": subscription_id,
                "kind": "repair",
                "summary": "S",
                "description": "D",
            },
            content_type="application/json",
        )
        return response.status_code, response.json()

    status, body = open_request_on(world.ids["subscription_id"])
    assert (status, body.get("field")) == (400, "subscription_id")
    assert (status, body) == open_request_on(2**31 - 1)
