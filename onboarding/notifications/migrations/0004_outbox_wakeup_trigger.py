"""On PostgreSQL, wake the relays when outbox rows are committed (LISTEN/NOTIFY, wakeup.py).

A statement trigger after INSERT, and a row trigger when a row goes back to pending (an admin's
re-queue), notify the channel "outbox_wakeup" (relay.OUTBOX_WAKEUP_CHANNEL). The notification is
delivered when the transaction commits, never when it rolls back; notifications of one
transaction on one channel with one payload are folded into one, so a bulk insert wakes the
relays once. SQLite has no such trigger: its relay polls.
"""

from django.db import migrations

TABLE = "notifications_outboxmessage"
FUNCTION = "notifications_outbox_wakeup"
INSERT_TRIGGER = "notifications_outbox_wakeup_insert"
REQUEUE_TRIGGER = "notifications_outbox_wakeup_requeue"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('outbox_wakeup', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
CREATE_TRIGGERS = [
    f"""
    CREATE TRIGGER {INSERT_TRIGGER}
        AFTER INSERT ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()
    """,
    f"""
    CREATE TRIGGER {REQUEUE_TRIGGER}
        AFTER UPDATE OF status ON {TABLE}
        FOR EACH ROW
        WHEN (NEW.status = 'pending' AND OLD.status IS DISTINCT FROM 'pending')
        EXECUTE FUNCTION {FUNCTION}()
    """,
]
DROP = [
    f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER} ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {REQUEUE_TRIGGER} ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION, params=None)
        for statement in DROP[:2] + CREATE_TRIGGERS:
            schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_notification_secrets_withheld")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
