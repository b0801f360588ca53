"""Trigram indexes for the staff customer search (PostgreSQL only; SQLite scans).

The search matches substrings ("LIKE '%smi%'"), which a B-tree cannot serve; pg_trgm's GIN
indexes can. Each index is on exactly the expression selectors.customer_search filters on, or the
planner would not use it. Built CONCURRENTLY (hence atomic = False) so a live database with a
million customers keeps taking writes while they build. Invoice and contract numbers are matched
exactly, through those apps' own unique indexes.
"""

from django.db import migrations

INDEXES = {
    "sysops_user_email_trgm": "accounts_user USING gin (lower(email) gin_trgm_ops)",
    "sysops_user_name_trgm": (
        "accounts_user USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops)"
    ),
    "sysops_customer_company_trgm": "accounts_customer USING gin (lower(company) gin_trgm_ops)",
    "sysops_customer_phone_trgm": "accounts_customer USING gin (phone gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("sysops", "0001_initial"), ("accounts", "0002_customer_and_contact")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
