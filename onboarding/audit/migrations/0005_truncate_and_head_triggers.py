"""On PostgreSQL, refuse TRUNCATE of the audit log, and keep its recorded head moving forward only.

0003 refuses DELETE and UPDATE row by row, but TRUNCATE fires no row trigger: without this, one
statement emptied the log. A BEFORE TRUNCATE statement trigger now refuses it whenever the table
holds rows. Truncating an empty table loses nothing and stays allowed: Django's flush between
transactional tests truncates every table, and the test suite empties the audit tables first
with their triggers off (tests/conftest.py).

The recorded head (audit_auditchainhead, one row) may be inserted once and then only moved
forward: a DELETE, a TRUNCATE, a lower seq, or another hash at the same seq is refused. A
superuser can still drop these triggers; verify_audit then finds the head ahead of the table,
and an anchor kept outside the database (verify_audit --anchor) finds a head moved back too.
SQLite has no such triggers.
"""

from django.db import migrations

ENTRY_TABLE = "audit_auditentry"
HEAD_TABLE = "audit_auditchainhead"
TRUNCATE_FUNCTION = "audit_truncate_refused"
ENTRY_TRUNCATE_TRIGGER = "audit_entry_no_truncate"
HEAD_TRUNCATE_TRIGGER = "audit_chain_head_no_truncate"
HEAD_FUNCTION = "audit_chain_head_forward_only"
HEAD_TRIGGER = "audit_chain_head_forward_only"

# One function for both tables; the refusal names its table through the trigger's argument.
CREATE_TRUNCATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRUNCATE_FUNCTION}() RETURNS trigger AS $$
DECLARE
    holds_rows boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO holds_rows;
    IF holds_rows THEN
        RAISE EXCEPTION '%: TRUNCATE refused', TG_ARGV[0]
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
CREATE_ENTRY_TRUNCATE_TRIGGER = f"""
CREATE TRIGGER {ENTRY_TRUNCATE_TRIGGER}
    BEFORE TRUNCATE ON {ENTRY_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TRUNCATE_FUNCTION}('the audit log is append-only')
"""
CREATE_HEAD_TRUNCATE_TRIGGER = f"""
CREATE TRIGGER {HEAD_TRUNCATE_TRIGGER}
    BEFORE TRUNCATE ON {HEAD_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION
        {TRUNCATE_FUNCTION}('the recorded audit chain head only moves forward')
"""
CREATE_HEAD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {HEAD_FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the recorded audit chain head only moves forward: DELETE refused'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.id <> OLD.id OR NEW.seq < OLD.seq
       OR (NEW.seq = OLD.seq AND NEW.hash IS DISTINCT FROM OLD.hash)
    THEN
        RAISE EXCEPTION 'the recorded audit chain head only moves forward: seq % to seq % refused',
            OLD.seq, NEW.seq
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
CREATE_HEAD_TRIGGER = f"""
CREATE TRIGGER {HEAD_TRIGGER}
    BEFORE UPDATE OR DELETE ON {HEAD_TABLE}
    FOR EACH ROW EXECUTE FUNCTION {HEAD_FUNCTION}()
"""
TRIGGERS = (
    (ENTRY_TRUNCATE_TRIGGER, ENTRY_TABLE, CREATE_ENTRY_TRUNCATE_TRIGGER),
    (HEAD_TRUNCATE_TRIGGER, HEAD_TABLE, CREATE_HEAD_TRUNCATE_TRIGGER),
    (HEAD_TRIGGER, HEAD_TABLE, CREATE_HEAD_TRIGGER),
)


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the function bodies' "%" are format markers, not placeholders.
        schema_editor.execute(CREATE_TRUNCATE_FUNCTION, params=None)
        schema_editor.execute(CREATE_HEAD_FUNCTION, params=None)
        for name, table, create in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}", params=None)
            schema_editor.execute(create, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, table, _ in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}", params=None)
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {HEAD_FUNCTION}()", params=None)
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {TRUNCATE_FUNCTION}()", params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_head")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
