"""The full customer view's overview, cached per customer and never stale after a write.

`customer_overview` runs some 21 queries; Django compiling them costs more than PostgreSQL
running them (docs/benchmarks.md, issue 19). `customer_overview_cached` asks PostgreSQL one
question first, the customer's *stamp*: a digest of the id and the row version of every row the
overview reads, in every table it reads, found through the customer. A row version is its `xmin`
(the id of the (sub)transaction that wrote it) with its `ctid` (where it lies): every INSERT and
UPDATE writes a new version, at a place no live version holds, so even two writes in one
transaction differ; a DELETE drops the row from the digest. Any write to any of them
(an invoice paid, a card changed, a request answered, a review rated, a score recomputed, a
notice delivered, a test clock advanced, whatever code path made it, audited or not) changes the
stamp, so the cached overview is keyed by the stamp and a write can never be served stale: the
next view misses and reads the database.

What the stamp cannot see is time passing. The day is part of the key (ages, expiry warnings and
overdue invoices count days), and what moves within a day (an acceptance the managers did not
acknowledge in time, the health history's 180-day window) is bounded by the entry's lifetime,
`OVERVIEW_CACHE_SECONDS`. A customer on a test clock lives at the clock's moment: advancing it
rewrites the clock's row, which is in the stamp.

The stamp is one raw SQL statement, built once: no per-view ORM compilation. It reads only the
rows the view reads anyway (history sections by their newest `limit` ids), along the same
indexes. `xmin` exists in PostgreSQL only; elsewhere (the embedded SQLite default) the view is
not cached. With the cache unavailable the view reads the database, as before, and logs why.
"""

import logging
from dataclasses import replace
from datetime import date
from functools import cache as memoize

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from onboarding.accounts.models import Customer
from onboarding.sysops.overview import HISTORY_LIMIT, CustomerOverview, customer_overview

logger = logging.getLogger(__name__)

# How long a cached overview may serve: bounds what time alone changes within a day.
OVERVIEW_CACHE_SECONDS = 60
HISTORY_TEMPLATE = "sysops/_overview_history.html"
# Part of every key: a deploy that changes what is cached never reads an older layout.
_LAYOUT = 3


def _table(label: str) -> str:
    return apps.get_model(label)._meta.db_table


def _rows(table: str, where: str, *, pk: str = "id", newest: str = "") -> str:
    """The digest of (pk, xmin, ctid) of the rows of `table` matching `where` (or of the newest
    `newest` of them by pk): an md5 text, '' when there are none."""
    inner = f"SELECT {pk} AS pk, xmin, ctid FROM {table} t WHERE {where}"  # noqa: S608
    if newest:
        inner += f" ORDER BY {pk} DESC LIMIT {newest}"
    return (
        "(SELECT coalesce(md5(string_agg(r.pk::text || ':' || r.xmin::text || r.ctid::text, ',' "  # noqa: S608
        f"ORDER BY r.pk)), '') FROM ({inner}) r)"
    )


# Each table the overview reads, with how its rows are found from the customer (%(c)s) and the
# history limit (%(n)s). tests/sysops/test_overview_cache.py checks this list against the
# tables the overview's queries name.
def _parts() -> dict[str, str]:
    customer = _table("accounts.Customer")
    subscriptions = _table("billing.Subscription")
    requests = _table("sysops.ServiceRequest")
    contracts = _table("contracts.Contract")
    attempts = _table("payments.PaymentAttempt")
    reviews = _table("acceptance.Review")
    notifications = _table("notifications.Notification")
    plan_changes = _table("billing.PlanChange")
    health_reviews = _table("health.HealthReview")
    of_customer = "t.customer_id = %(c)s"
    my_subscriptions = f"SELECT id FROM {subscriptions} WHERE customer_id = %(c)s"  # noqa: S608
    my_contracts = f"SELECT id FROM {contracts} WHERE customer_id = %(c)s"  # noqa: S608
    my_requests = f"SELECT id FROM {requests} WHERE customer_id = %(c)s"  # noqa: S608
    my_reviews = f"SELECT id FROM {reviews} WHERE contract_id = ANY(ARRAY({my_contracts}))"  # noqa: S608
    my_notifications = (
        f"SELECT id FROM {notifications} WHERE recipient_id = %(c)s ORDER BY id DESC LIMIT %(n)s"  # noqa: S608
    )
    # One id list per relation, each read by its index (an OR of subqueries here made
    # PostgreSQL scan the whole users table: 150 ms at 1,000,000 customers).
    users = (
        "t.id = ANY(ARRAY("  # noqa: S608
        "SELECT %(c)s::bigint"
        f" UNION ALL SELECT assignee_id FROM {requests} WHERE customer_id = %(c)s"
        f" UNION ALL SELECT requested_by_id FROM {plan_changes}"
        f" WHERE subscription_id = ANY(ARRAY({my_subscriptions}))"
        f" UNION ALL SELECT owner_id FROM {health_reviews} WHERE customer_id = %(c)s))"
    )
    request_type = apps.get_model("sysops.ServiceRequest")._meta.label_lower
    review_type = apps.get_model("acceptance.Review")._meta.label_lower
    clocks = (
        f"(t.subject_type = '{request_type}' AND t.subject_id = ANY(ARRAY({my_requests})))"
        f" OR (t.subject_type = '{review_type}' AND t.subject_id = ANY(ARRAY({my_reviews})))"
    )
    return {
        customer: _rows(customer, "t.user_id = %(c)s", pk="user_id"),
        _table("accounts.User"): _rows(_table("accounts.User"), users),
        _table("accounts.TestClock"): _rows(
            _table("accounts.TestClock"),
            f"t.id = (SELECT test_clock_id FROM {customer} WHERE user_id = %(c)s)",  # noqa: S608
        ),
        _table("accounts.Contact"): _rows(_table("accounts.Contact"), of_customer),
        _table("payments.PaymentMethod"): _rows(_table("payments.PaymentMethod"), of_customer),
        subscriptions: _rows(subscriptions, of_customer),
        requests: _rows(requests, of_customer),
        _table("sla.SlaClock"): _rows(_table("sla.SlaClock"), clocks),
        attempts: _rows(attempts, of_customer),
        _table("payments.PaymentDispute"): _rows(
            _table("payments.PaymentDispute"),
            f"t.attempt_id = ANY(ARRAY(SELECT id FROM {attempts} WHERE customer_id = %(c)s))",  # noqa: S608
        ),
        _table("billing.Invoice"): _rows(_table("billing.Invoice"), of_customer),
        contracts: _rows(contracts, of_customer),
        _table("acceptance.Requirement"): _rows(
            _table("acceptance.Requirement"), f"t.contract_id = ANY(ARRAY({my_contracts}))"
        ),
        reviews: _rows(reviews, f"t.contract_id = ANY(ARRAY({my_contracts}))"),
        _table("risk.RiskEvent"): _rows(
            _table("risk.RiskEvent"), f"t.contract_id = ANY(ARRAY({my_contracts}))"
        ),
        _table("journey.JourneyStep"): _rows(_table("journey.JourneyStep"), of_customer),
        _table("alerts.AdminAlert"): _rows(_table("alerts.AdminAlert"), of_customer),
        plan_changes: _rows(plan_changes, f"t.subscription_id = ANY(ARRAY({my_subscriptions}))"),
        notifications: _rows(notifications, "t.recipient_id = %(c)s", newest="%(n)s"),
        _table("notifications.OutboxMessage"): _rows(
            _table("notifications.OutboxMessage"),
            f"t.notification_id = ANY(ARRAY({my_notifications}))",
        ),
        _table("audit.AuditEntry"): _rows(_table("audit.AuditEntry"), of_customer, newest="%(n)s"),
        _table("billing.DunningHold"): _rows(_table("billing.DunningHold"), of_customer),
        _table("health.CustomerHealth"): _rows(
            _table("health.CustomerHealth"), of_customer, pk="customer_id"
        ),
        _table("health.CustomerHealthSnapshot"): _rows(
            _table("health.CustomerHealthSnapshot"), of_customer
        ),
        # The health card links a red customer's review, its state, action and owner.
        health_reviews: _rows(health_reviews, of_customer),
        # Shared tables of a few rows each: plan and product names, prices, tax rates, hours.
        **{
            _table(label): _rows(_table(label), "true")
            for label in (
                "catalog.Plan",
                "catalog.Product",
                "catalog.PlanPrice",
                "tax.TaxRate",
                "sla.ServiceHours",
            )
        },
    }


@memoize
def stamped_tables() -> frozenset[str]:
    """The tables the stamp covers."""
    return frozenset(_parts())


@memoize
def _stamp_sql() -> str:
    """The stamp's statement, with $1 the customer and $2 the history limit."""
    parts = ", ".join(_parts().values()).replace("%(c)s", "$1").replace("%(n)s", "$2")
    return f"SELECT md5(concat_ws('|', {parts}))"


_PREPARED = "onboarding_overview_stamp"


def overview_stamp(*, customer_id: int, limit: int = HISTORY_LIMIT) -> str:
    """The digest of every row the customer's overview reads (PostgreSQL only): one query.

    A prepared statement: planning its 29 subqueries anew each time cost more than running
    them. It is prepared once per database connection (a new connection prepares again), so a
    pooler that hands one client several server sessions (PgBouncer in transaction mode) would
    need it prepared per transaction instead.
    """
    connection.ensure_connection()
    raw = connection.connection
    with connection.cursor() as cursor:
        if getattr(raw, "_overview_stamp_prepared", False) is not True:
            cursor.execute(f"PREPARE {_PREPARED} (bigint, bigint) AS {_stamp_sql()}")
            raw._overview_stamp_prepared = True
        cursor.execute(f"EXECUTE {_PREPARED} (%s, %s)", [customer_id, limit])
        return cursor.fetchone()[0]


def overview_cacheable() -> bool:
    return connection.vendor == "postgresql"


def overview_cache_key(*, customer_id: int, today: date, limit: int = HISTORY_LIMIT) -> str:
    stamp = overview_stamp(customer_id=customer_id, limit=limit)
    # Per language: the entry holds labels (state names) and the history lists rendered in the
    # language active when it was made, and staff read the view in English or German.
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"sysops:overview:{_LAYOUT}:{language}:{customer_id}:{today.isoformat()}:{limit}:{stamp}"


def customer_overview_cached(
    *,
    customer: Customer,
    today: date | None = None,
    limit: int = HISTORY_LIMIT,
    history_html: bool = False,
) -> CustomerOverview:
    """`customer_overview`, served from the cache while none of its rows changed (the module's
    docstring says why that is never stale). `customer` is the caller's fresh row; `today` as
    for `customer_overview`. With `history_html` (the page) the entry also keeps the history
    lists rendered: they read nothing but the overview, and rendering them is most of the page's
    time."""
    today = today or timezone.localdate()
    if not overview_cacheable():
        return customer_overview(customer=customer, today=today, limit=limit)
    key = overview_cache_key(customer_id=customer.pk, today=today, limit=limit)
    try:
        cached = cache.get(key)
    except Exception:  # the cache is down: the view reads the database, as without a cache
        logger.warning("customer overview not cached: the cache is unavailable", exc_info=True)
        return customer_overview(customer=customer, today=today, limit=limit)
    if cached is not None:
        overview = replace(cached, customer=customer)
        if not history_html or overview.history_html:
            return overview
    else:
        overview = customer_overview(customer=customer, today=today, limit=limit)
    if history_html:
        html = render_to_string(HISTORY_TEMPLATE, {"o": overview, "c": customer})
        overview = replace(overview, history_html=html)
    try:
        cache.set(key, replace(overview, customer=None), timeout=OVERVIEW_CACHE_SECONDS)
    except Exception:
        logger.warning("customer overview not cached: the cache is unavailable", exc_info=True)
    return overview
