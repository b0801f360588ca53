"""On PostgreSQL, wake the task workers when a task is committed ready (LISTEN/NOTIFY).

A statement trigger after INSERT on django-tasks-db's table, and a row trigger when a row goes
back to READY (a retry, the reaper, an admin's re-queue), notify the channel "tasks_wakeup"
(runner.TASKS_WAKEUP_CHANNEL). The notification is delivered when the transaction commits,
never when it rolls back; one transaction's notifications are folded into one. A task due later
(run_after) wakes the workers for nothing: they find no ready task and poll on as before. SQLite
has no such trigger: its workers poll.
"""

from django.db import migrations

TABLE = "django_tasks_database_dbtaskresult"
FUNCTION = "worker_tasks_wakeup"
INSERT_TRIGGER = "worker_tasks_wakeup_insert"
READY_TRIGGER = "worker_tasks_wakeup_ready"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('tasks_wakeup', '');
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
    CREATE TRIGGER {READY_TRIGGER}
        AFTER UPDATE OF status ON {TABLE}
        FOR EACH ROW
        WHEN (NEW.status = 'READY' AND OLD.status IS DISTINCT FROM 'READY')
        EXECUTE FUNCTION {FUNCTION}()
    """,
]
DROP = [
    f"DROP TRIGGER IF EXISTS {INSERT_TRIGGER} ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {READY_TRIGGER} ON {TABLE}",
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
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("worker", "0003_delete_taskprobe"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
