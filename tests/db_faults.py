"""A database that fails one kind of write, for tests of what happens when a write fails: a real
error from the real database (a trigger that aborts the statement), not a patched function."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

HICCUP = "database hiccup (test fault)"


@contextmanager
def database_fails(model, operation: str, *, when: str = "TRUE", name: str) -> Iterator[None]:
    """While open, every `operation` ("INSERT", "UPDATE" or "DELETE") on `model`'s table whose row
    matches `when` (SQL over NEW.column and OLD.column) fails with HICCUP, as a database hiccup
    would: the statement is aborted and Django raises a DatabaseError."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    trigger = quote(name)
    if connection.vendor == "postgresql":
        function = quote(f"{name}_fn")
        add = [
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{HICCUP}'; END $$",
            f"CREATE TRIGGER {trigger} BEFORE {operation} ON {table} FOR EACH ROW "
            f"WHEN ({when}) EXECUTE FUNCTION {function}()",
        ]
        drop = [f"DROP TRIGGER {trigger} ON {table}", f"DROP FUNCTION {function}()"]
        if connection.in_atomic_block:
            # DDL refuses to run while the transaction has deferred constraint checks pending
            # (the test's own inserts): run them now, and defer them again around it.
            add = ["SET CONSTRAINTS ALL IMMEDIATE", *add, "SET CONSTRAINTS ALL DEFERRED"]
            drop = ["SET CONSTRAINTS ALL IMMEDIATE", *drop, "SET CONSTRAINTS ALL DEFERRED"]
    else:
        add = [
            f"CREATE TRIGGER {trigger} BEFORE {operation} ON {table} WHEN ({when}) "
            f"BEGIN SELECT RAISE(ABORT, '{HICCUP}'); END"
        ]
        drop = [f"DROP TRIGGER {trigger}"]
    with connection.cursor() as cursor:
        for statement in add:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)
