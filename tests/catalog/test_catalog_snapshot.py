"""The catalogue is read once per process and kept until it changes (catalog/snapshot.py):
the pricing page stops querying, and a price change shows at once, never a stale price."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from onboarding.catalog.models import BillingCycle, Plan, PlanPrice
from onboarding.catalog.selectors import plan_get_on_sale, plan_list_on_sale
from onboarding.catalog.snapshot import VERSION_KEY, catalog_snapshot_forget
from tests.factories import plan_with_prices

# Outside a test transaction: the snapshot is only kept outside atomic blocks.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_snapshot_from_another_test():
    catalog_snapshot_forget()
    yield
    catalog_snapshot_forget()


def _set_price_behind_the_orms_back(plan: Plan, cycle: str, amount_minor: int) -> None:
    """As another process's write looks from here: the rows change, this process is not told."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PlanPrice._meta.db_table} SET amount_minor = %s"
            " WHERE plan_id = %s AND cycle = %s",
            [amount_minor, plan.pk, cycle],
        )


def test_the_pricing_page_queries_nothing_once_the_catalogue_is_read(
    client, settings, django_assert_num_queries
):
    settings.CATALOG_VERSION_CHECK_SECONDS = 3600
    plan_with_prices()
    assert "€990.00".encode() in client.get("/pricing/").content
    with django_assert_num_queries(0):
        response = client.get("/pricing/")
    assert "€990.00".encode() in response.content


def test_checking_the_version_costs_one_cache_read_and_no_catalogue_query(
    client, settings, django_assert_num_queries
):
    settings.CATALOG_VERSION_CHECK_SECONDS = 0
    plan_with_prices()
    client.get("/pricing/")
    # The local cache is the database cache here: its read is the one query.
    with django_assert_num_queries(1) as captured:
        client.get("/pricing/")
    assert "catalog" not in captured.captured_queries[0]["sql"].split("FROM")[1].split()[0]


def test_a_price_saved_through_the_orm_shows_on_the_next_page(client, settings):
    settings.CATALOG_VERSION_CHECK_SECONDS = 3600  # this process is told at once, not by polling
    plan = plan_with_prices()
    assert "€99.00".encode() in client.get("/pricing/?cycle=monthly").content
    price = plan.prices.get(cycle=BillingCycle.MONTHLY)
    price.amount_minor = 12300
    price.save()
    page = client.get("/pricing/?cycle=monthly").content
    assert "€123.00".encode() in page
    assert "€99.00".encode() not in page
    prices = {p.cycle: p.amount_minor for p in plan_list_on_sale()[0].prices.all()}
    assert prices[BillingCycle.MONTHLY] == 12300


def test_a_queryset_update_and_a_plan_taken_off_sale_show_at_once(client, settings):
    settings.CATALOG_VERSION_CHECK_SECONDS = 3600
    plan = plan_with_prices()
    client.get("/pricing/")
    PlanPrice.objects.filter(plan=plan, cycle=BillingCycle.ANNUAL).update(amount_minor=88800)
    assert "€888.00".encode() in client.get("/pricing/").content
    Plan.objects.filter(pk=plan.pk).update(is_active=False)
    assert b"Business Care" not in client.get("/pricing/").content
    assert client.get(f"/api/v1/catalog/plans/{plan.slug}").status_code == 404


def test_another_processs_change_shows_once_its_commit_replaces_the_version(client, settings):
    settings.CATALOG_VERSION_CHECK_SECONDS = 0
    plan = plan_with_prices()
    assert "€990.00".encode() in client.get("/pricing/").content
    _set_price_behind_the_orms_back(plan, BillingCycle.ANNUAL, 77700)
    # Not told yet: the snapshot stands (this is what the version is for).
    assert "€990.00".encode() in client.get("/pricing/").content
    cache.set(VERSION_KEY, "a-version-another-process-wrote", timeout=None)
    assert "€777.00".encode() in client.get("/pricing/").content


def test_a_change_rolled_back_is_never_kept(client, settings):
    settings.CATALOG_VERSION_CHECK_SECONDS = 3600
    plan = plan_with_prices()
    client.get("/pricing/")
    with pytest.raises(RuntimeError), transaction.atomic():
        PlanPrice.objects.filter(plan=plan, cycle=BillingCycle.ANNUAL).update(amount_minor=1)
        # Read inside the transaction: the uncommitted price, and not kept afterwards.
        prices = {p.cycle: p.amount_minor for p in plan_list_on_sale()[0].prices.all()}
        assert prices[BillingCycle.ANNUAL] == 1
        raise RuntimeError("rolled back")
    page = client.get("/pricing/").content
    assert "€990.00".encode() in page
    assert "€0.01".encode() not in page


def test_a_snapshot_older_than_its_max_age_is_read_again(client, settings):
    settings.CATALOG_VERSION_CHECK_SECONDS = 3600
    plan = plan_with_prices()
    client.get("/pricing/")
    _set_price_behind_the_orms_back(plan, BillingCycle.ANNUAL, 66600)
    settings.CATALOG_SNAPSHOT_MAX_AGE_SECONDS = 0
    assert "€666.00".encode() in client.get("/pricing/").content


def test_a_plan_from_the_snapshot_is_the_callers_own_copy():
    plan_with_prices()
    mine = plan_get_on_sale(slug="business-care")
    mine.name = "Changed by one caller"
    assert plan_get_on_sale(slug="business-care").name == "Business Care"
    assert plan_list_on_sale()[0].name == "Business Care"


def test_a_price_change_is_saved_when_the_cache_is_down(settings, caplog):
    plan = plan_with_prices("cache-down")
    # A Redis nobody listens on: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with transaction.atomic():
        price = PlanPrice.objects.get(plan=plan, cycle=BillingCycle.MONTHLY)
        price.amount_minor = 12345
        price.save()
    assert PlanPrice.objects.get(pk=price.pk).amount_minor == 12345
    assert "catalogue version not replaced" in caplog.text


def test_the_pricing_page_answers_from_the_database_when_the_cache_is_down(settings, client):
    plan = plan_with_prices("cache-down-page")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.CATALOG_VERSION_CHECK_SECONDS = 0
    assert client.get("/pricing/").status_code == 200
    PlanPrice.objects.filter(plan=plan).update(amount_minor=77700)
    page = client.get("/pricing/")
    assert page.status_code == 200
    assert "777" in page.content.decode()
