"""Per-request facts (request id, client address) that logs and the audit log read.

Set by RequestIdMiddleware for web requests and by the worker and relay for background work,
so code deep in a service never needs the request object to say where it was called from.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
client_ip_var: ContextVar[str] = ContextVar("client_ip", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()


def current_client_ip() -> str:
    return client_ip_var.get()


@contextmanager
def request_context(*, request_id: str | None = None, client_ip: str = "") -> Iterator[str]:
    """Bind a request id (a new one unless given) and client address for the block."""
    rid = request_id or new_request_id()
    rid_token = request_id_var.set(rid)
    ip_token = client_ip_var.set(client_ip)
    try:
        yield rid
    finally:
        request_id_var.reset(rid_token)
        client_ip_var.reset(ip_token)
