"""The PostgreSQL trigger that makes the table append-only (SQLite relies on the chain alone)."""

import pytest
from django.db import DatabaseError, connection, transaction

from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_record, audit_seal_pending

pytestmark = pytest.mark.postgres


def _refused(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return "append-only" in str(exc)
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
