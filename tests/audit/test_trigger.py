"""The PostgreSQL triggers that make the log append-only and its recorded head move forward only
(SQLite has none: there the chain and the recorded head make tampering visible to verify_audit)."""

import re

import pytest
from django.db import DatabaseError, connection, transaction

from onboarding.audit.models import AuditChainHead, AuditEntry
from onboarding.audit.services import audit_record, audit_seal_pending
from tests.audit.conftest import record_many

pytestmark = pytest.mark.postgres


def _refused(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return bool(re.search(r"append-only|only moves forward", str(exc)))
    return False


def test_changing_the_action_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    assert _refused("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["x", entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "invoice.paid"


def test_changing_a_sealed_entry_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    audit_seal_pending()
    assert _refused("UPDATE audit_auditentry SET message = %s WHERE id = %s", ["x", entry.pk])


def test_deleting_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    assert _refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_through_the_orm_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_sealing_is_allowed(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    assert audit_seal_pending() == 1
    assert AuditEntry.objects.get(pk=entry.pk).seq == 1


def test_resealing_with_another_hash_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    audit_seal_pending()
    assert _refused("UPDATE audit_auditentry SET hash = %s WHERE id = %s", ["f" * 64, entry.pk])


def test_sealing_that_also_changes_content_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    assert _refused(
        "UPDATE audit_auditentry SET seq = 1, prev_hash = %s, hash = %s, action = %s WHERE id = %s",
        ["0" * 64, "f" * 64, "invoice.refunded", entry.pk],
    )


def test_truncating_the_log_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    audit_seal_pending()
    assert _refused("TRUNCATE audit_auditentry", [])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_truncating_the_log_together_with_other_tables_is_refused(require_postgres, db):
    entry = audit_record(action="invoice.paid")
    assert _refused("TRUNCATE django_session, audit_auditentry", [])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_truncating_an_empty_log_is_allowed(require_postgres, db):
    """Nothing is lost, and the test suite's flush between transactional tests relies on it."""
    assert not _refused("TRUNCATE audit_auditentry, audit_auditchainhead", [])


def test_deleting_the_recorded_head_is_refused(require_postgres, db):
    audit_record(action="invoice.paid")
    audit_seal_pending()
    assert _refused("DELETE FROM audit_auditchainhead", [])
    assert _refused("TRUNCATE audit_auditchainhead", [])
    assert AuditChainHead.objects.get().seq == 1


def test_moving_the_recorded_head_backwards_is_refused(require_postgres, db):
    record_many(3)
    audit_seal_pending()
    assert _refused("UPDATE audit_auditchainhead SET seq = 2", [])
    assert AuditChainHead.objects.get().seq == 3


def test_rewriting_the_recorded_heads_hash_is_refused(require_postgres, db):
    record_many(3)
    audit_seal_pending()
    assert _refused("UPDATE audit_auditchainhead SET hash = %s", ["e" * 64])


def test_the_recorded_head_moves_forward(require_postgres, db):
    record_many(2)
    audit_seal_pending()
    record_many(2)
    audit_seal_pending()
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (4, AuditEntry.objects.get(seq=4).hash)
