"""Document numbers are sequential and gap-free per series and year, also under concurrency."""

import threading

import pytest
from django.db import connection, transaction

from onboarding.billing.models import DocumentSequence
from onboarding.billing.numbering import numbers_take


def take(count: int, series: str = "INV", year: int = 2026) -> list[str]:
    with transaction.atomic():
        return [number for _, number in numbers_take(series=series, year=year, count=count)]


@pytest.mark.django_db
def test_numbers_are_sequential_per_series_and_year():
    assert take(2) == ["INV-2026-000001", "INV-2026-000002"]
    assert take(1) == ["INV-2026-000003"]
    assert take(1, series="CN") == ["CN-2026-000001"]
    assert take(1, year=2027) == ["INV-2027-000001"]


@pytest.mark.django_db
def test_a_rolled_back_transaction_gives_its_numbers_back():
    take(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        numbers_take(series="INV", year=2026, count=5)
        raise RuntimeError("the invoices could not be saved")
    assert take(1) == ["INV-2026-000002"]


@pytest.mark.django_db(transaction=True)
def test_numbers_are_only_taken_inside_the_transaction_that_uses_them():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        numbers_take(series="INV", year=2026, count=1)
    assert not DocumentSequence.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_finalizations_never_share_or_skip_a_number(require_postgres):
    """Eight threads, each its own connection, take numbers at once; some roll back."""
    threads_count, rounds = 8, 10
    barrier = threading.Barrier(threads_count)
    kept: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait()
            for round_ in range(rounds):
                try:
                    with transaction.atomic():
                        numbers = numbers_take(series="INV", year=2026, count=2)
                        if (index + round_) % 5 == 0:
                            raise LookupError("roll this one back")
                except LookupError:
                    continue
                with lock:
                    kept.extend(number for _, number in numbers)
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    values = sorted(int(number.rsplit("-", 1)[1]) for number in kept)
    assert values == list(range(1, len(values) + 1))  # no gap, no repeat
    assert DocumentSequence.objects.get(series="INV", year=2026).last_value == len(values)
