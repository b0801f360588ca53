"""Empty the audit tables at the end of a transactional test, before Django's flush.

On PostgreSQL the audit tables refuse TRUNCATE while they hold rows (migration audit.0005), and
the flush after every transactional test truncates every table. The suite empties the two first,
in one transaction with their triggers off (as only the tables' owner may); the flush then
truncates empty tables, which the triggers allow. SQLite's flush DELETEs, which nothing refuses.
"""

from django.db import connection, transaction

from onboarding.audit.models import AuditChainHead, AuditEntry

TABLES = (AuditEntry._meta.db_table, AuditChainHead._meta.db_table)


def audit_tables_emptied() -> None:
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(f"TRUNCATE {', '.join(TABLES)}")
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
