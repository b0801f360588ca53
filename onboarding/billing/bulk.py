"""Row-by-row UPDATEs sent as one batch: each row its own values, one round trip per batch.

Django's bulk_update builds one CASE expression per field over the whole batch, which grows
with the batch squared; executemany of a plain UPDATE is what the bill run's batches need.
"""

from collections.abc import Sequence

from django.db import connection, models


def rows_update(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """For each row (values of `fields` in order, then the primary key) run
    UPDATE <table> SET field = value, ... WHERE pk = key, in the caller's transaction."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608 (names from model meta)
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    params = [
        [
            column.get_db_prep_save(value, connection)
            for column, value in zip(columns, row[:-1], strict=True)
        ]
        + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
