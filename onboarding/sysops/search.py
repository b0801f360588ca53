"""Customer search for the back office: by name, email, company or phone, or exactly by
email, reference, invoice or contract number, in one SQL statement and one load of the page.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection

from onboarding.accounts.models import Customer, User
from onboarding.billing.models import Invoice
from onboarding.contracts.models import Contract
from onboarding.core.roles import Role

SEARCH_PAGE_SIZE = 25
SEARCH_MIN_LENGTH = 3
# Each way of matching contributes at most this many customers: a search that matches more
# asks for a narrower query instead of sorting a hundred thousand rows.
SEARCH_BRANCH_CAP = 200
_REFERENCE = re.compile(r"^(?:cus-?|#)([0-9]{1,18})$", re.IGNORECASE)  # ASCII digits only
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{4,}$")
# What a hit shows (the results page and CustomerHitOut); the customer and user rows are wide.
HIT_COLUMNS = (
    "user_id",
    "test_clock_id",  # a test customer is marked TEST in the results
    "company",
    "phone",
    "city",
    "country",
    "user__id",
    "user__first_name",
    "user__last_name",
    "user__email",
)


@dataclass(frozen=True)
class CustomerHit:
    customer: Customer
    rank: int  # 0 exact (email, reference, invoice or contract number), 1 prefix, 2 contains


@dataclass(frozen=True)
class CustomerSearchPage:
    query: str
    hits: list[CustomerHit]
    page: int
    size: int
    total: int  # matches found, at most about SEARCH_BRANCH_CAP per way of matching
    capped: bool  # True when there may be more matches than `total`
    too_short: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _search_numbered() -> list[tuple[str, str, str]]:
    """(table, number column, customer column) of the documents found by their exact number:
    invoices (INV-2026-000123) and contracts (CTR-2026-000042), by their unique indexes."""
    return [
        (_table(model), "number", model._meta.get_field("customer").column)
        for model in (Invoice, Contract)
    ]


def _search_branches(query: str) -> tuple[list[str], list[Any]]:
    """SQL for each way a customer can match, each giving (customer id, rank).

    Only table and column names from the models' meta are put into the SQL text; everything the
    user typed is a parameter (hence the S608 waivers below). The substring matches on one table
    share a branch (PostgreSQL ORs their indexes in one bitmap), and a user is known to be a
    customer by its role, which needs no join.
    """
    user, customer = _table(User), _table(Customer)
    branches: list[str] = []
    params: list[Any] = []

    def branch(select: str, *values: Any) -> None:
        # Wrapped in a subquery so the LIMIT is legal inside UNION ALL on SQLite as well.
        number = len(branches)
        branches.append(f"SELECT id, r FROM ({select} LIMIT {SEARCH_BRANCH_CAP}) AS b{number}")  # noqa: S608
        params.extend(values)

    reference = _REFERENCE.match(query)
    if reference:
        by_id = f"SELECT c.user_id AS id, 0 AS r FROM {customer} c WHERE c.user_id = %s"  # noqa: S608
        branch(by_id, int(reference.group(1)))
    by_email = f"SELECT u.id AS id, 0 AS r FROM {user} u WHERE u.email = %s AND u.role = %s"  # noqa: S608
    branch(by_email, query, Role.CUSTOMER.value)
    if looks_like_email(query):
        # A whole address is looked up exactly: a substring search for it would read the
        # posting lists of its most common trigrams ("com", "@gm") for nothing.
        return branches, params
    for table, number, owner in _search_numbered():
        exact = f"SELECT {owner} AS id, 0 AS r FROM {table} WHERE {number} IN (%s, %s)"  # noqa: S608
        branch(exact, query, query.upper())
    if len(query) < SEARCH_MIN_LENGTH:
        return branches, params
    contains, prefix = f"%{_like_escape(query)}%", f"{_like_escape(query)}%"
    # Each expression is exactly the one migration 0002 indexes, or PostgreSQL scans.
    email, name = "lower(u.email)", "lower(u.first_name || ' ' || u.last_name)"
    like = "LIKE %s ESCAPE '\\'"
    users = (
        f"SELECT u.id AS id, CASE WHEN {email} {like} OR {name} {like} THEN 1 ELSE 2 END AS r "  # noqa: S608
        f"FROM {user} u WHERE u.role = %s AND ({email} {like} OR {name} {like})"
    )
    branch(users, prefix, prefix, Role.CUSTOMER.value, contains, contains)
    company = "lower(c.company)"
    where, values = f"{company} {like}", [contains]
    digits = re.sub(r"\D", "", query).lstrip("0")
    if _PHONE_LIKE.match(query) and len(digits) >= SEARCH_MIN_LENGTH:
        # Stored as E.164 (+441179460000): the national number's digits without the trunk 0.
        where, values = f"{where} OR c.phone LIKE %s", [contains, f"%{digits}%"]
    companies = (
        f"SELECT c.user_id AS id, CASE WHEN {company} {like} THEN 1 ELSE 2 END AS r "  # noqa: S608
        f"FROM {customer} c WHERE {where}"
    )
    branch(companies, prefix, *values)
    return branches, params


def looks_like_email(text: str) -> bool:
    try:
        validate_email(text.strip())
    except ValidationError:
        return False
    return True


def normalise_query(text: str) -> str:
    # NUL cannot reach PostgreSQL in a string; nobody types one on purpose.
    return " ".join((text or "").replace("\x00", "").split()).lower()[:100]


def customer_search(
    *, query: str, page: int = 1, size: int = SEARCH_PAGE_SIZE
) -> CustomerSearchPage:
    """Customers matching `query` by name, email, company, phone (substring), or exactly by
    email, reference (CUS-000042), invoice number or contract number. Exact matches first, then
    prefix matches, then the rest, newest customer first within each. Two queries.

    On PostgreSQL the substring matches use the trigram indexes of migration 0002; on SQLite
    they scan, which is fine at the sizes SQLite is used for.
    """
    query = normalise_query(query)
    page = max(1, page)
    size = max(1, min(size, 100))
    if len(query) < SEARCH_MIN_LENGTH and not _REFERENCE.match(query):
        return CustomerSearchPage(query, [], page, size, 0, False, too_short=bool(query))
    branches, params = _search_branches(query)
    union = " UNION ALL ".join(branches)
    sql = (
        f"SELECT id, MIN(r) AS r, COUNT(*) OVER () AS total FROM ({union}) AS hits "  # noqa: S608
        "GROUP BY id ORDER BY MIN(r), id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, size, (page - 1) * size])
        rows = cursor.fetchall()
    total = int(rows[0][2]) if rows else 0
    if not rows and page > 1:
        return customer_search(query=query, page=1, size=size)
    customers = (
        Customer.objects.select_related("user").only(*HIT_COLUMNS).in_bulk([row[0] for row in rows])
    )
    hits = [CustomerHit(customers[row[0]], int(row[1])) for row in rows if row[0] in customers]
    return CustomerSearchPage(
        query=query,
        hits=hits,
        page=page,
        size=size,
        total=total,
        capped=total >= SEARCH_BRANCH_CAP,
    )
