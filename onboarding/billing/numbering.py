"""Document numbers: sequential and gap-free per series and year (INV-2026-000123).

Numbers are taken inside the transaction that finalizes the documents, from a DocumentSequence
row locked with SELECT ... FOR UPDATE: a concurrent transaction waits for the commit, and a
rollback hands the numbers back, so no number is ever skipped or used twice. Take numbers as
late as possible in the transaction, since every other finalization waits on the lock.
"""

from django.db import IntegrityError, transaction

from onboarding.billing.models import DocumentSequence, document_number

INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"


def _sequence_for_update(series: str, year: int) -> DocumentSequence:
    found = DocumentSequence.objects.select_for_update().filter(series=series, year=year).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            DocumentSequence.objects.create(series=series, year=year)
    except IntegrityError:
        pass  # a concurrent transaction opened the year first; its row is the one to lock
    return DocumentSequence.objects.select_for_update().get(series=series, year=year)


def numbers_take(*, series: str, year: int, count: int) -> list[tuple[int, str]]:
    """The next `count` numbers of `series` in `year` as (value, "SERIES-YEAR-000123") pairs.

    Must run inside the caller's transaction (the lock is held until it commits).
    """
    if count <= 0:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers_take must run inside the transaction that uses the numbers")
    sequence = _sequence_for_update(series, year)
    first = sequence.last_value + 1
    sequence.last_value += count
    sequence.save(update_fields=["last_value"])
    return [(value, document_number(series, year, value)) for value in range(first, first + count)]
