"""On PostgreSQL, refuse every UPDATE and DELETE of an audit row except sealing.

Sealing is the one UPDATE allowed: seq, prev_hash and hash go from NULL to a value, and every
other column stays exactly as it was (compared as a whole row, so a column added later is covered
without touching this function). SQLite has no such trigger; there the hash chain alone makes
tampering visible to verify_audit.

TRUNCATE fires no row trigger: migration 0005 refuses it with a statement trigger.
"""

from django.db import migrations

TABLE = "audit_auditentry"
FUNCTION = "audit_entry_append_only"
TRIGGER = "audit_entry_append_only"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit entry % is append-only: DELETE refused', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
           = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entry % is append-only: only sealing may update it', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""
CREATE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER}
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()
"""
DROP_TRIGGER = f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}"
DROP_FUNCTION = f"DROP FUNCTION IF EXISTS {FUNCTION}()"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the function body's "%" are PL/pgSQL format markers, not placeholders.
        schema_editor.execute(CREATE_FUNCTION, params=None)
        schema_editor.execute(DROP_TRIGGER, params=None)
        schema_editor.execute(CREATE_TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)
        schema_editor.execute(DROP_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_and_indexes")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
