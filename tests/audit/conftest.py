from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_record

TABLE = AuditEntry._meta.db_table
TRIGGER = "audit_entry_append_only"
HEAD_TABLE = "audit_auditchainhead"


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

    @contextmanager
    def triggers_dropped(self) -> Iterator[None]:
        """Every trigger on the audit tables dropped, as a superuser would, and re-created from
        its own definition afterwards (on SQLite there is none to drop)."""
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid IN (%s::regclass, to_regclass(%s)) AND NOT tgisinternal",
                [TABLE, HEAD_TABLE],
            )
            triggers = cursor.fetchall()
            for name, table, _ in triggers:
                cursor.execute(f"DROP TRIGGER {name} ON {table}")
            try:
                yield
            finally:
                for _, _, definition in triggers:
                    cursor.execute(definition)

    def execute_without_triggers(self, sql: str, params: list | None = None) -> int:
        """`sql` ({table}: the entries, {head}: the recorded head) with every trigger dropped."""
        with self.triggers_dropped(), connection.cursor() as cursor:
            cursor.execute(sql.replace("{table}", TABLE).replace("{head}", HEAD_TABLE), params)
            return cursor.rowcount

    def empty_the_log(self) -> None:
        """What a superuser does to erase the log: TRUNCATE on PostgreSQL, DELETE on SQLite."""
        if connection.vendor == "postgresql":
            self.execute_without_triggers("TRUNCATE {table}")
        else:
            self.execute_without_triggers("DELETE FROM {table}")


@pytest.fixture
def tamper(db) -> Tamperer:
    return Tamperer()


def record_many(count: int, **fields) -> list[AuditEntry]:
    """`count` ordinary entries, as services would write them."""
    fields.setdefault("action", "test.event")
    return [
        audit_record(object_type="test.thing", object_id=n, **fields) for n in range(1, count + 1)
    ]
