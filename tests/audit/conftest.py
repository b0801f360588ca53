from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_record

TABLE = AuditEntry._meta.db_table
TRIGGER = "audit_entry_append_only"


class Tamperer:
    """Raw SQL against the audit table, as a DBA with superuser powers would run it.

    On PostgreSQL the append-only trigger is disabled for the statement (inside the test's
    transaction, so the ALTER is rolled back with it); on SQLite there is no trigger to pass.
    """

    table = TABLE

    @contextmanager
    def _trigger_off(self) -> Iterator[None]:
        postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
            try:
                yield
            finally:
                if postgres:
                    cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")

    def execute(self, sql: str, params: list | None = None) -> int:
        with self._trigger_off(), connection.cursor() as cursor:
            cursor.execute(sql.replace("{table}", TABLE), params or [])
            return cursor.rowcount


@pytest.fixture
def tamper(db) -> Tamperer:
    return Tamperer()


def record_many(count: int, **fields) -> list[AuditEntry]:
    """`count` ordinary entries, as services would write them."""
    fields.setdefault("action", "test.event")
    return [
        audit_record(object_type="test.thing", object_id=n, **fields) for n in range(1, count + 1)
    ]
