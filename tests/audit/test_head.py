"""The chain's recorded head (AuditChainHead, outside the entries table): the sealer moves it
forward with each batch, and verify_audit fails when it is ahead of what the table holds.

Tampering drops every audit trigger for the statement and re-creates it (a superuser's power);
on SQLite there is none, so every test here runs on both databases.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onboarding.audit.models import AuditChainHead, AuditEntry
from onboarding.audit.selectors import ChainAnchor, audit_verify_chain
from onboarding.audit.services import AuditChainBroken, audit_record, audit_seal_pending
from tests.audit.conftest import HEAD_TABLE, record_many


def _verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    return out.getvalue()


def _sealed(count: int) -> list[AuditEntry]:
    entries = record_many(count)
    audit_seal_pending()
    return [AuditEntry.objects.get(pk=entry.pk) for entry in entries]


# --- the sealer keeps the head -------------------------------------------------------------


def test_sealing_records_the_head_outside_the_entries_table(db):
    entries = _sealed(3)
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (3, entries[-1].hash)


def test_the_head_is_written_once_per_batch_not_per_entry(db):
    record_many(10)
    with CaptureQueriesContext(connection) as queries:
        assert audit_seal_pending(batch_size=4) == 10
    statements = [query["sql"].lstrip() for query in queries.captured_queries]
    head_writes = [
        sql for sql in statements if HEAD_TABLE in sql and sql.startswith(("UPDATE", "INSERT"))
    ]
    assert len(head_writes) == 3  # batches of 4, 4 and 2
    assert AuditChainHead.objects.get().seq == 10


def test_sealing_nothing_leaves_the_head_alone(db):
    _sealed(2)
    before = AuditChainHead.objects.values("seq", "hash", "sealed_at").get()
    assert audit_seal_pending() == 0
    assert AuditChainHead.objects.values("seq", "hash", "sealed_at").get() == before


def test_the_sealer_refuses_to_extend_a_chain_whose_tail_was_cut(tamper):
    entries = _sealed(3)
    tamper.execute_without_triggers("DELETE FROM {table} WHERE seq = 3")
    late = audit_record(action="late.event")
    with pytest.raises(AuditChainBroken, match="recorded head is seq 3"):
        audit_seal_pending()
    late.refresh_from_db()
    assert late.seq is None  # the evidence is left as it was found
    assert AuditChainHead.objects.get().hash == entries[2].hash


def test_a_head_left_behind_by_an_older_sealer_catches_up(tamper):
    """A rolling deploy: the previous release's sealer (which knew no head) sealed entries while
    this one migrated, so the table reaches past the head and still holds it."""
    entries = _sealed(5)
    tamper.execute_without_triggers("UPDATE {head} SET seq = 3, hash = %s", [entries[2].hash])
    late = audit_record(action="late.event")
    assert audit_seal_pending() == 1
    late.refresh_from_db()
    assert late.seq == 6
    assert AuditChainHead.objects.get().seq == 6
    assert audit_verify_chain().intact


# --- verify_audit against the head ---------------------------------------------------------


def test_verify_audit_passes_on_an_intact_chain_and_names_the_recorded_head(db):
    entries = _sealed(4)
    out = _verify()
    assert "4 entries verified, chain intact" in out
    assert f"recorded head seq 4 hash {entries[-1].hash} matches" in out


def test_verify_audit_fails_when_the_tail_was_deleted_with_the_trigger_dropped(tamper):
    _sealed(5)
    assert tamper.execute_without_triggers("DELETE FROM {table} WHERE seq >= 4") == 2
    with pytest.raises(CommandError) as failure:
        _verify()
    message = str(failure.value)
    assert "truncated" in message
    assert "the table's chain ends at seq 3 but the recorded head is seq 5" in message


def test_verify_audit_fails_when_the_log_was_emptied(tamper):
    """TRUNCATE on PostgreSQL (trigger dropped), a DELETE of every row on SQLite."""
    _sealed(3)
    tamper.empty_the_log()
    assert not AuditEntry.objects.exists()
    with pytest.raises(CommandError) as failure:
        _verify()
    message = str(failure.value)
    assert "truncated" in message
    assert "the table holds no sealed entries but the recorded head is seq 3" in message


def test_verify_audit_fails_when_the_head_entry_was_rewritten_with_the_trigger_dropped(tamper):
    """A rebuilt tail (hashes recomputed so the chain links) still differs from the head."""
    entries = _sealed(3)
    tamper.execute_without_triggers(
        "UPDATE {table} SET hash = %s WHERE id = %s", ["e" * 64, entries[2].pk]
    )
    problem = audit_verify_chain().problem
    assert problem is not None
    assert problem.seq == 3
    assert problem.kind in {"edited", "rewritten"}


def test_verify_audit_fails_when_the_head_was_deleted_but_entries_remain(tamper):
    _sealed(2)
    tamper.execute_without_triggers("DELETE FROM {head}")
    with pytest.raises(CommandError, match="head_missing"):
        _verify()


def test_a_head_rewound_with_the_tail_is_still_caught_by_an_outside_anchor(tamper):
    """A superuser who cuts the tail and also moves the head back defeats the head table; an
    anchor kept outside the database (the sealer's log line) still shows it."""
    entries = _sealed(5)
    anchor = ChainAnchor(seq=5, hash=entries[4].hash)
    tamper.execute_without_triggers("DELETE FROM {table} WHERE seq >= 4")
    tamper.execute_without_triggers("UPDATE {head} SET seq = 3, hash = %s", [entries[2].hash])
    assert audit_verify_chain().intact
    problem = audit_verify_chain(anchor=anchor).problem
    assert (problem.kind, problem.seq) == ("truncated", 5)
