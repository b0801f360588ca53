"""Events recorded the way business apps record them (audit_record), sealed, then dispatched."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection

from onboarding.audit.models import AuditEntry, Outcome
from onboarding.audit.services import audit_record, audit_seal_pending
from onboarding.webhooks.dispatch import webhooks_dispatch
from onboarding.webhooks.services import endpoint_create


def register(admin, receiver, **kwargs):
    created = endpoint_create(actor=admin, url=receiver.url, **kwargs)
    receiver.secrets.append(created.secret)
    return created.endpoint


def record(
    action: str, *, customer_id: int | None = 1, object_id: int = 7, **changes
) -> AuditEntry:
    outcome = Outcome.FAILURE if action in {"payment.declined", "alert.raised"} else Outcome.SUCCESS
    return audit_record(
        action=action,
        object_type="billing.invoice",
        object_id=object_id,
        customer_id=customer_id,
        changes=changes or {"status": ["open", "paid"]},
        outcome=outcome,
    )


def seal_and_dispatch() -> int:
    audit_seal_pending()
    return webhooks_dispatch()


def at(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def backdate(entry: AuditEntry, when: datetime) -> None:
    """Move an unsealed entry into the past, as an old entry would be (PostgreSQL's append-only
    trigger is off for this one statement, inside the test's transaction)."""
    table = AuditEntry._meta.db_table
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(f"UPDATE {table} SET occurred_at = %s WHERE id = %s", [when, entry.pk])
        if postgres:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_entry_append_only")


@contextmanager
def trickling_server(*, first: bytes, then: bytes) -> Iterator[str]:
    """A loopback server for the deadline tests: it reads the request, sends `first` at once,
    then `then` one byte every 0.2 s (each well within a read timeout) until the block ends.
    Yields the URL to post to."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(first)
                for byte in then:
                    if stop.wait(0.2):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    finally:
        stop.set()
        server.close()
        thread.join(5)
