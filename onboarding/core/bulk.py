"""Writing many rows with plain SQL, for batches on hot paths (the bill run, payments' batch).

The ORM's bulk operations spend most of their time preparing each value of each row through the
field machinery, and bulk_update builds a CASE expression per field that grows with the batch
squared. Here each column's conversion is chosen once; inserts go by COPY on PostgreSQL (the
keys taken from the table's sequence first) and by multi-row INSERT ... RETURNING on SQLite;
updates are one UPDATE joined to unnest() of arrays on PostgreSQL and one plain UPDATE per row
sent as one executemany on SQLite. Errors are raised as Django's, as the ORM would raise them.
"""

from collections.abc import Sequence

import psycopg
from django.db import connection, models


def rows_update(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """For each row (values of `fields` in order, then the primary key) set those fields on the
    row with that key, in the caller's transaction.

    PostgreSQL: one UPDATE joined to unnest() of one array per column. SQLite: one plain UPDATE
    per row, sent as one executemany.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    converters = [_converter(column) for column in columns]
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    # The PostgreSQL path runs on the driver's own cursor: wrap its errors as Django's.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [
                [convert(row[index]) for row in rows] for index, convert in enumerate(converters)
            ]
            arrays.append([row[-1] for row in rows])
            types = [column.cast_db_type(connection) for column in columns]
            types.append(model._meta.pk.cast_db_type(connection))
            names = [quote(f"v{index}") for index in range(len(types))]
            unnest = ", ".join(f"%s::{db_type}[]" for db_type in types)
            assignments = ", ".join(
                f"{quote(column.column)} = v.{name}"
                for column, name in zip(columns, names, strict=False)
            )
            joined = f"unnest({unnest}) AS v({', '.join(names)})"
            # Bound on the server: the arrays travel as parameters instead of being quoted into
            # the SQL text in Python, which is what Django's client-side cursor would do.
            with psycopg.Cursor(connection.connection) as bound:
                bound.execute(
                    f"UPDATE {table} SET {assignments} "  # noqa: S608 (names from model meta)
                    f"FROM {joined} WHERE {table}.{pk} = v.{names[-1]}",
                    arrays,
                )
            return
        assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 (names from model meta)
            [
                [convert(value) for convert, value in zip(converters, row[:-1], strict=True)]
                + [row[-1]]
                for row in rows
            ],
        )


def _converter(field: models.Field):
    """How a Python value becomes a query parameter for this column, chosen once per column."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.CharField | models.TextField):
        # Choices enums become plain strings, which every driver path (COPY too) knows.
        return lambda value: None if value is None else str(value)
    if isinstance(field, models.IntegerField | models.BooleanField | models.ForeignKey):
        return lambda value: value  # drivers take ints and bools as they are
    # Anything else (JSON, UUID, decimals ...) as the field itself prepares it.
    return lambda value: field.get_db_prep_save(value, connection)


def instances_insert(objs: Sequence[models.Model]) -> None:
    """bulk_create for unsaved instances of one model, the plain way: every concrete column as
    the instance holds it after each field's pre_save (so auto_now_add is set, as bulk_create
    does), in the caller's transaction. Sets each instance's primary key and marks it saved."""
    if not objs:
        return
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [tuple(field.pre_save(obj, True) for field in fields) for obj in objs]
    keys = rows_insert(model, [f.attname for f in fields], rows, returning=True)
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias


def rows_insert(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple], *, returning: bool
) -> list[int]:
    """INSERT rows (values of `fields`, by attname, in order) in the caller's transaction; with
    `returning`, the new primary keys in row order. Every NOT NULL column must be given (the
    database holds no defaults)."""
    if not rows:
        return []
    # COPY runs on the driver's own cursor: its errors are raised as Django's (IntegrityError
    # for a duplicate key), as the ORM would raise them.
    with connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            return _copy_in(model, fields, rows, returning=returning)
        return _insert_values(model, fields, rows, returning=returning)


def _copy_in(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple], *, returning: bool
) -> list[int]:
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    converters = [_converter(column) for column in columns]
    names = [quote(column.column) for column in columns]
    keys: list[int] = []
    with connection.cursor() as cursor:
        if returning:
            # Take the keys from the table's own sequence, then write them with the rows.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, len(rows)],
            )
            keys = [row[0] for row in cursor.fetchall()]
            names.insert(0, quote(model._meta.pk.column))
        statement = f"COPY {quote(model._meta.db_table)} ({', '.join(names)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for index, row in enumerate(rows):
                values = [convert(value) for convert, value in zip(converters, row, strict=True)]
                copy.write_row([keys[index], *values] if returning else values)
    return keys


def _insert_values(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple], *, returning: bool
) -> list[int]:
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    converters = [_converter(column) for column in columns]
    # Parameters per statement as Django counts them for SQLite (999).
    limit = connection.features.max_query_params or 999
    per_statement = max(1, limit // len(columns))
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 (names from model meta)
        f"({', '.join(quote(column.column) for column in columns)}) VALUES "
    )
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    keys: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                convert(value)
                for row in chunk
                for convert, value in zip(converters, row, strict=True)
            ]
            cursor.execute(head + ", ".join([row_sql] * len(chunk)) + tail, params)
            if returning:
                keys.extend(row[0] for row in cursor.fetchall())
    return keys
