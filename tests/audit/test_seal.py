import itertools
import threading

import pytest
from django.db import connection, connections, transaction

from onboarding.audit import tasks
from onboarding.audit.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from onboarding.audit.models import AuditEntry
from onboarding.audit.selectors import audit_verify_chain
from onboarding.audit.services import (
    _take_seal_lock,
    _write_seals,
    audit_record,
    audit_seal_pending,
)
from tests.audit.conftest import record_many
from tests.waiting import wait_until


def _chain() -> list[tuple[int, int, str, str]]:
    return list(AuditEntry.objects.order_by("seq").values_list("id", "seq", "prev_hash", "hash"))


def test_sealing_numbers_entries_one_two_three_in_id_order(db):
    entries = record_many(5)
    assert audit_seal_pending() == 5
    chain = _chain()
    assert [seq for _, seq, _, _ in chain] == [1, 2, 3, 4, 5]
    assert [entry_id for entry_id, _, _, _ in chain] == [entry.pk for entry in entries]


def test_each_sealed_entry_links_to_the_hash_before_it(db):
    record_many(4)
    audit_seal_pending()
    chain = _chain()
    assert chain[0][2] == GENESIS_HASH
    for (_, _, _, previous_hash), (_, _, prev_hash, _) in itertools.pairwise(chain):
        assert prev_hash == previous_hash


def test_sealed_hash_covers_the_stored_content(db):
    entry = audit_record(action="invoice.paid", changes={"amount_minor": 1200})
    audit_seal_pending()
    row = AuditEntry.objects.values("seq", "prev_hash", "hash", *HASHED_FIELDS).get(pk=entry.pk)
    assert row["hash"] == entry_hash(seq=1, prev_hash=GENESIS_HASH, content=row)


def test_sealing_again_with_nothing_new_changes_nothing(db):
    record_many(3)
    audit_seal_pending()
    before = _chain()
    assert audit_seal_pending() == 0
    assert _chain() == before


def test_later_entries_continue_the_chain(db):
    record_many(2)
    audit_seal_pending()
    head_hash = AuditEntry.objects.get(seq=2).hash
    late = audit_record(action="late.event")
    audit_seal_pending()
    late.refresh_from_db()
    assert (late.seq, late.prev_hash) == (3, head_hash)


def test_sealing_works_through_small_batches(db):
    record_many(10)
    assert audit_seal_pending(batch_size=3) == 10
    assert [seq for _, seq, _, _ in _chain()] == list(range(1, 11))
    assert audit_verify_chain().intact


def test_an_entry_is_never_sealed_twice(db):
    entry = audit_record(action="once.only")
    audit_seal_pending()
    with pytest.raises(RuntimeError, match="sealed 0 of 1"):
        _write_seals([(2, "a" * 64, "b" * 64, entry.pk)])
    assert AuditEntry.objects.get(pk=entry.pk).seq == 1


def test_max_batches_bounds_one_run(db):
    record_many(10)
    assert audit_seal_pending(batch_size=3, max_batches=2) == 6
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 4


def test_the_periodic_task_seals_pending_entries(db):
    record_many(3)
    assert tasks.audit_seal_pending.call() == 3
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()


def test_the_task_is_registered_under_the_path_the_scheduler_uses(settings):
    assert "onboarding.audit.tasks.audit_seal_pending" in settings.WORKER_PERIODIC_TASKS
    assert tasks.audit_seal_pending.module_path == "onboarding.audit.tasks.audit_seal_pending"


def _in_thread(target, results: list, errors: list):
    def run():
        try:
            results.append(target())
        except Exception as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_build_one_gap_free_chain():
    """On PostgreSQL the sealers meet on the seal lock. On SQLite each batch's transaction takes
    the database's one write lock when it begins (IMMEDIATE), so batches of different sealers run
    one after another: that leg proves the sealers wait their turn instead of failing, and that a
    batch continues the chain another sealer's batch committed."""
    record_many(400)
    results: list[int] = []
    errors: list[Exception] = []
    threads = [
        _in_thread(lambda: audit_seal_pending(batch_size=25), results, errors) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 400
    assert [seq for _, seq, _, _ in _chain()] == list(range(1, 401))
    assert audit_verify_chain().intact


@pytest.mark.django_db(transaction=True)
def test_a_lower_id_committed_after_a_higher_one_is_sealed_later(require_postgres):
    """PostgreSQL commits out of id order: the chain follows seal order (seq), not id."""
    slow_recorded = threading.Event()
    may_commit = threading.Event()
    errors: list[Exception] = []
    slow_ids: list[int] = []

    def slow_transaction():
        try:
            with transaction.atomic():
                slow_ids.append(audit_record(action="slow.event").pk)
                slow_recorded.set()
                may_commit.wait(timeout=30)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert slow_recorded.wait(timeout=30)
    fast = audit_record(action="fast.event")  # higher id, committed first (autocommit)
    assert audit_seal_pending() == 1
    may_commit.set()
    thread.join(timeout=30)
    assert errors == []
    assert slow_ids[0] < fast.pk
    wait_until(lambda: AuditEntry.objects.filter(pk=slow_ids[0]).exists(), what="slow commit")
    assert audit_seal_pending() == 1
    assert AuditEntry.objects.get(pk=fast.pk).seq == 1
    assert AuditEntry.objects.get(pk=slow_ids[0]).seq == 2
    assert audit_verify_chain().intact


@pytest.mark.django_db(transaction=True)
def test_recording_does_not_wait_for_a_sealer_holding_the_lock(require_postgres):
    holding = threading.Event()
    release = threading.Event()

    def sealer_holding_lock():
        try:
            with transaction.atomic():
                _take_seal_lock()
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=sealer_holding_lock)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        with connection.cursor() as cursor:
            # Fail fast instead of hanging if recording ever queued behind the sealer.
            cursor.execute("SET statement_timeout = 2000")
        with transaction.atomic():
            entry = audit_record(action="hot.path")
        assert AuditEntry.objects.filter(pk=entry.pk).exists()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        release.set()
        thread.join(timeout=30)


def _someone_waits_for_an_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_second_sealer_waits_for_the_first(require_postgres):
    record_many(3)
    holding = threading.Event()
    release = threading.Event()
    finished: list[int] = []

    def first_sealer():
        try:
            with transaction.atomic():
                _take_seal_lock()
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    first = threading.Thread(target=first_sealer)
    first.start()
    assert holding.wait(timeout=30)
    second = _in_thread(audit_seal_pending, finished, [])
    second.start()
    wait_until(_someone_waits_for_an_advisory_lock, what="the second sealer to queue")
    assert finished == []
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert finished == [3]
