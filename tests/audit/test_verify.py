"""audit_verify_chain finds the first edited, deleted or inserted entry.

Tampering goes through raw SQL, as a DBA would; on PostgreSQL the `tamper` fixture switches the
append-only trigger off for the statement, so every test here runs on both databases.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from onboarding.audit.chain import HASHED_FIELDS, entry_hash
from onboarding.audit.models import AuditEntry
from onboarding.audit.selectors import ChainAnchor, audit_verify_chain
from onboarding.audit.services import audit_record, audit_seal_pending
from tests.audit.conftest import record_many


def _sealed(count: int) -> list[AuditEntry]:
    entries = record_many(count)
    audit_seal_pending()
    return [AuditEntry.objects.get(pk=entry.pk) for entry in entries]


def _forge(**fields) -> AuditEntry:
    """Insert a row directly (INSERT is not refused: only the chain can tell it is foreign)."""
    fields.setdefault("occurred_at", timezone.now())
    fields.setdefault("action", "forged.event")
    return AuditEntry.objects.create(**fields)


def _content_hash(entry: AuditEntry, *, seq: int, prev_hash: str) -> str:
    row = AuditEntry.objects.values(*HASHED_FIELDS).get(pk=entry.pk)
    return entry_hash(seq=seq, prev_hash=prev_hash, content=row)


def test_an_intact_chain_verifies(db):
    entries = _sealed(5)
    report = audit_verify_chain()
    assert report.intact
    assert report.entries_verified == 5
    assert (report.head_seq, report.head_hash) == (5, entries[-1].hash)


def test_an_empty_log_verifies(db):
    report = audit_verify_chain()
    assert report.intact
    assert report.entries_verified == 0


# --- edited ---------------------------------------------------------------------------------


def test_an_edited_entry_is_found(tamper):
    entries = _sealed(5)
    tamper.execute("UPDATE {table} SET action = %s WHERE id = %s", ["x.y", entries[2].pk])
    report = audit_verify_chain()
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "edited",
        3,
        entries[2].pk,
    )
    assert report.entries_verified == 2


def test_an_edit_to_the_changes_json_is_found(tamper):
    entry = audit_record(action="invoice.paid", changes={"amount_minor": [100, 200]})
    audit_seal_pending()
    tamper.execute(
        "UPDATE {table} SET changes = %s WHERE id = %s", ['{"amount_minor": [100, 20]}', entry.pk]
    )
    assert audit_verify_chain().problem.kind == "edited"


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(tamper):
    entries = _sealed(5)
    target = entries[1]
    tamper.execute("UPDATE {table} SET message = %s WHERE id = %s", ["nothing", target.pk])
    forged = _content_hash(target, seq=2, prev_hash=target.prev_hash)
    tamper.execute("UPDATE {table} SET hash = %s WHERE id = %s", [forged, target.pk])
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq, problem.entry_id) == ("broken_link", 3, entries[2].pk)
    assert "seq 2" in problem.detail


def test_only_the_first_problem_is_reported(tamper):
    entries = _sealed(5)
    tamper.execute("UPDATE {table} SET action = %s WHERE id = %s", ["a", entries[3].pk])
    tamper.execute("UPDATE {table} SET action = %s WHERE id = %s", ["b", entries[1].pk])
    assert audit_verify_chain().problem.seq == 2


# --- deleted --------------------------------------------------------------------------------


def test_a_deleted_entry_is_found(tamper):
    entries = _sealed(5)
    tamper.execute("DELETE FROM {table} WHERE id = %s", [entries[2].pk])
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq, problem.entry_id) == ("deleted", 4, entries[3].pk)
    assert "seq 3 missing" in problem.detail


def test_a_deleted_first_entry_is_found(tamper):
    entries = _sealed(3)
    tamper.execute("DELETE FROM {table} WHERE id = %s", [entries[0].pk])
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq) == ("deleted", 2)


def test_a_deletion_hidden_by_renumbering_breaks_the_link(tamper):
    entries = _sealed(5)
    tamper.execute("DELETE FROM {table} WHERE id = %s", [entries[2].pk])
    tamper.execute("UPDATE {table} SET seq = seq + 1000000 WHERE seq > 3")
    tamper.execute("UPDATE {table} SET seq = seq - 1000001 WHERE seq > 1000000")
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq, problem.entry_id) == ("broken_link", 3, entries[3].pk)


def test_a_deleted_tail_is_found_against_a_recorded_anchor(tamper):
    entries = _sealed(5)
    anchor = ChainAnchor(seq=5, hash=entries[4].hash)
    tamper.execute("DELETE FROM {table} WHERE seq >= 4")
    problem = audit_verify_chain(anchor=anchor).problem  # a head kept elsewhere sees a cut tail
    assert (problem.kind, problem.seq) == ("truncated", 5)


def test_a_rebuilt_chain_is_found_against_a_recorded_anchor(tamper):
    entries = _sealed(3)
    anchor = ChainAnchor(seq=3, hash=entries[2].hash)
    tamper.execute("UPDATE {table} SET hash = %s WHERE id = %s", ["e" * 64, entries[2].pk])
    problem = audit_verify_chain(anchor=anchor).problem
    assert problem.seq == 3
    assert problem.kind in {"edited", "rewritten"}


def test_a_matching_anchor_verifies(db):
    entries = _sealed(3)
    assert audit_verify_chain(anchor=ChainAnchor(seq=2, hash=entries[1].hash)).intact


# --- inserted -------------------------------------------------------------------------------


def test_an_entry_inserted_with_a_forged_hash_is_found(db):
    entries = _sealed(3)
    forged = _forge(seq=4, prev_hash=entries[2].hash, hash="a" * 64)
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq, problem.entry_id) == ("edited", 4, forged.pk)


def test_an_entry_slipped_into_the_middle_is_found(tamper):
    entries = _sealed(5)
    tamper.execute("UPDATE {table} SET seq = seq + 1000000 WHERE seq >= 3")
    tamper.execute("UPDATE {table} SET seq = seq - 999999 WHERE seq > 1000000")
    forged = _forge(seq=3, prev_hash=entries[1].hash, hash="0" * 64)
    tamper.execute(
        "UPDATE {table} SET hash = %s WHERE id = %s",
        [_content_hash(forged, seq=3, prev_hash=entries[1].hash), forged.pk],
    )
    problem = audit_verify_chain().problem
    # The forgery itself hashes correctly; the entry after it no longer links.
    assert (problem.kind, problem.seq, problem.entry_id) == ("broken_link", 4, entries[2].pk)
    assert "seq 3" in problem.detail


def test_an_entry_with_a_seq_beyond_the_head_is_found(db):
    entries = _sealed(3)
    forged = _forge(seq=9, prev_hash=entries[2].hash, hash="b" * 64)
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq, problem.entry_id) == ("deleted", 9, forged.pk)


def test_a_backdated_entry_behind_sealed_ones_is_found(db):
    entries = _sealed(3)
    forged = _forge(id=entries[0].pk - 1, occurred_at=timezone.now() - timedelta(days=2))
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq, problem.entry_id) == ("out_of_order", None, forged.pk)


def test_a_backdated_entry_is_still_found_once_sealed(db):
    _sealed(3)
    forged = _forge(occurred_at=timezone.now() - timedelta(days=2))
    audit_seal_pending()
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.seq, problem.entry_id) == ("out_of_order", 4, forged.pk)


def test_a_late_commit_waiting_for_the_sealer_is_not_a_problem(db):
    """A lower id committed just now (after higher ids were sealed) is normal, not tampering."""
    entries = _sealed(3)
    _forge(id=entries[0].pk - 1, action="slow.transaction")
    report = audit_verify_chain()
    assert report.intact
    assert report.unsealed == 1


@pytest.mark.postgres
def test_an_entry_with_a_hash_but_no_seq_is_found(tamper, require_postgres):
    _sealed(2)
    with connection.cursor() as cursor:  # the check constraint forbids it: a DBA drops it first
        cursor.execute(f"ALTER TABLE {tamper.table} DROP CONSTRAINT audit_sealed_all_or_nothing")
    forged = _forge(hash="c" * 64)
    problem = audit_verify_chain().problem
    assert (problem.kind, problem.entry_id) == ("malformed", forged.pk)


# --- reporting ------------------------------------------------------------------------------


def test_progress_is_reported_every_n_entries(db):
    _sealed(5)
    seen: list[int] = []
    audit_verify_chain(progress=seen.append, progress_every=2, chunk_size=2)
    assert seen == [2, 4]


def test_a_stalled_sealer_is_a_warning_not_a_break(db):
    _forge(occurred_at=timezone.now() - timedelta(hours=3))
    report = audit_verify_chain()
    assert report.intact
    assert "await sealing" in report.warnings[0]
