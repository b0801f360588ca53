"""Staff customer search: every way of finding a customer, pages, and the PostgreSQL indexes."""

import pytest
from django.db import connection
from django.urls import reverse

from onboarding.core.roles import Role
from onboarding.sysops.search import customer_search
from tests.factories import UserFactory, complete_profile
from tests.sysops.conftest import make_contract, make_invoice

pytestmark = pytest.mark.django_db


def _customer(email: str, first: str, last: str, **profile):
    user = UserFactory(email=email, first_name=first, last_name=last, role=Role.CUSTOMER)
    return complete_profile(user.customer, **profile)


@pytest.fixture
def people():
    return {
        "ada": _customer(
            "ada@lovelace.test",
            "Ada",
            "Lovelace",
            company="Analytical Engines",
            phone="+441179460001",
        ),
        "grace": _customer(
            "grace@cobol.test", "Grace", "Hopper", company="Harvard Mark", phone="+12025550147"
        ),
        "alan": _customer(
            "alan@bletchley.test", "Alan", "Turing", company="Bletchley Park", phone="+441908640404"
        ),
    }


def _found(query: str) -> list[int]:
    return [hit.customer.pk for hit in customer_search(query=query).hits]


def test_search_finds_a_customer_by_part_of_the_name(people):
    assert _found("lovel") == [people["ada"].pk]


def test_search_finds_a_customer_by_full_name(people):
    assert _found("Grace Hopper") == [people["grace"].pk]


def test_search_finds_a_customer_by_part_of_the_email(people):
    assert _found("bletchley.te") == [people["alan"].pk]


def test_search_finds_a_customer_by_company_whatever_the_case(people):
    assert _found("ANALYTICAL eng") == [people["ada"].pk]


def test_search_finds_a_customer_by_a_phone_number_written_nationally(people):
    assert _found("01908 640404") == [people["alan"].pk]


def test_search_finds_a_customer_by_exact_reference(people):
    assert _found(people["grace"].reference) == [people["grace"].pk]


def test_a_reference_in_other_scripts_digits_is_no_reference(people):
    # int() reads Arabic-Indic and fullwidth digits; a reference is ASCII digits only.
    pk = people["grace"].pk
    foreign = "".join(chr(0x0660 + int(digit)) for digit in str(pk))
    wide = "".join(chr(0xFF10 + int(digit)) for digit in str(pk))
    assert _found(f"CUS-{foreign}") == []
    assert _found(f"#{wide}") == []


def test_search_finds_a_customer_by_invoice_number(subscription):
    invoice = make_invoice(subscription, 3)
    assert _found(invoice.number.lower()) == [subscription.customer_id]


def test_search_finds_a_customer_by_contract_number(subscription):
    contract = make_contract(subscription, 0)
    assert _found(contract.number) == [subscription.customer_id]


def test_a_whole_email_address_is_looked_up_exactly(people):
    _customer("ada@lovelace.test.example", "Augusta", "King")
    hits = customer_search(query="Ada@Lovelace.test").hits
    assert [(hit.customer.pk, hit.rank) for hit in hits] == [(people["ada"].pk, 0)]


def test_matches_at_the_start_come_before_matches_inside(people):
    labs = _customer("info@labs.test", "Info", "Desk", company="Lovelace Labs")
    hits = customer_search(query="lovelace").hits
    assert [(hit.customer.pk, hit.rank) for hit in hits] == [
        (labs.pk, 1),
        (people["ada"].pk, 2),
    ]


def test_like_wildcards_in_the_query_are_taken_literally(people):
    assert _found("a%e") == []
    assert _found("___") == []


def test_a_query_shorter_than_three_characters_asks_for_more(people):
    page = customer_search(query="ad")
    assert page.too_short and page.hits == []


def test_results_come_in_pages(db):
    for n in range(7):
        _customer(f"pager{n}@paging.test", "Page", f"Person{n}")
    first = customer_search(query="paging.test", size=3)
    last = customer_search(query="paging.test", size=3, page=3)
    assert (first.total, first.pages, len(first.hits), first.has_next) == (7, 3, 3, True)
    assert (len(last.hits), last.has_next, last.has_previous) == (1, False, True)
    seen = {
        hit.customer.pk
        for p in (1, 2, 3)
        for hit in customer_search(query="paging.test", size=3, page=p).hits
    }
    assert len(seen) == 7


def test_a_page_past_the_end_shows_the_first_page(people):
    page = customer_search(query="lovelace", page=40)
    assert page.page == 1 and len(page.hits) == 1


def test_the_search_page_lists_matches(sysops_client, people):
    response = sysops_client.get(reverse("sysops:customer_search"), {"q": "hopper"})
    assert response.status_code == 200
    assert "grace@cobol.test" in response.content.decode()
    assert "ada@lovelace.test" not in response.content.decode()


def test_the_search_page_answers_htmx_with_the_results_only(sysops_client, people):
    response = sysops_client.get(
        reverse("sysops:customer_search"), {"q": "hopper"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "grace@cobol.test" in response.content.decode()


def test_the_search_api_pages_its_results(sysops_client, people):
    body = sysops_client.get("/api/v1/staff/customers", {"q": ".test", "size": 2}).json()
    assert (body["total"], body["pages"], len(body["results"])) == (3, 2, 2)
    assert body["results"][0]["match"] == "contains"


def test_customers_cannot_search(customer_client, people):
    assert customer_client.get("/api/v1/staff/customers", {"q": "hopper"}).status_code == 404
    assert customer_client.get(reverse("sysops:customer_search")).status_code == 404


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("index", "sql"),
    [
        ("sysops_user_email_trgm", "SELECT id FROM accounts_user WHERE lower(email) LIKE %s"),
        (
            "sysops_user_name_trgm",
            "SELECT id FROM accounts_user WHERE lower(first_name || ' ' || last_name) LIKE %s",
        ),
        (
            "sysops_customer_company_trgm",
            "SELECT user_id FROM accounts_customer WHERE lower(company) LIKE %s",
        ),
        ("sysops_customer_phone_trgm", "SELECT user_id FROM accounts_customer WHERE phone LIKE %s"),
    ],
)
def test_postgres_serves_substring_searches_from_trigram_indexes(require_postgres, index, sql):
    assert index in _plan(sql, ["%ovelac%"])


@pytest.mark.postgres
def test_postgres_keeps_statistics_on_the_searched_expressions(require_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'sysops_%%'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "sysops_user_email_stx",
        "sysops_user_name_stx",
        "sysops_customer_company_stx",
    }


def test_the_selector_drops_nul_characters_from_a_query(people):
    assert _found("love\x00lace") == [people["ada"].pk]
