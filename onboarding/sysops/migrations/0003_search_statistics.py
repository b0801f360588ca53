"""Statistics on the searched expressions, so PostgreSQL estimates substring matches well.

Without them the planner has no statistics for lower(email) and the other expressions and
assumes a LIKE '%...%' matches 0.5% of rows; with the search's LIMIT it then prefers reading
the table sequentially until it finds enough rows, which for a rare name means most of a million
rows (hundreds of milliseconds) instead of a few index pages. Expression statistics need
PostgreSQL 14 or later; older servers keep the default estimates.
"""

from django.db import migrations

STATISTICS = {
    "sysops_user_email_stx": "(lower(email)) FROM accounts_user",
    "sysops_user_name_stx": "(lower(first_name || ' ' || last_name)) FROM accounts_user",
    "sysops_customer_company_stx": "(lower(company)) FROM accounts_customer",
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    for name, definition in STATISTICS.items():
        schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {name} ON {definition}")
    # Sampled, so quick even on a big table; the estimates are right from now on.
    schema_editor.execute("ANALYZE accounts_user, accounts_customer")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("sysops", "0002_search_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
