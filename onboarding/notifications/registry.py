"""Which consumer delivers which outbox topic.

Other apps plug a consumer in from their AppConfig.ready():

    register_outbox_handler("risk.raised", risk_publish_to_stream)

A handler is called as `handler(message, batch)` by the relay, at least once per message (more
than once if a relay dies between delivering and recording it), so it must be idempotent. It
returns normally on success and raises to ask for a retry; PermanentDeliveryError means a retry
cannot help and the message goes straight to dead. `batch` lends resources (an SMTP connection, a
Redis client) that live for one relay batch instead of one message.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class PermanentDeliveryError(Exception):
    """The receiver refused the message for good (an unknown address, say): do not retry."""


class DeliveryBatch:
    """Resources opened on first use during one relay batch and closed when the batch ends."""

    def __init__(self) -> None:
        self._resources: dict[str, Any] = {}

    def resource(self, key: str, opener: Callable[[], Any]) -> Any:
        if key not in self._resources:
            self._resources[key] = opener()
        return self._resources[key]

    def discard(self, key: str) -> None:
        """Close and forget one resource, e.g. a connection that broke, so the next use reopens."""
        resource = self._resources.pop(key, None)
        if resource is not None:
            _close_quietly(resource)

    def close(self) -> None:
        for key in list(self._resources):
            self.discard(key)


def _close_quietly(resource: Any) -> None:
    close = getattr(resource, "close", None)
    if close is None:
        return
    # A broken connection may fail to close; it is dropped either way.
    with contextlib.suppress(Exception):
        close()


OutboxHandler = Callable[[Any, DeliveryBatch], None]


@dataclass(frozen=True)
class HandlerSpec:
    handler: OutboxHandler
    # True: the relay runs the handler and records the delivery in one database transaction,
    # which makes a consumer that only writes rows exactly-once. Never for network I/O.
    transactional: bool = False


_HANDLERS: dict[str, HandlerSpec] = {}


def register_outbox_handler(
    topic: str, handler: OutboxHandler, *, transactional: bool = False
) -> None:
    """Make `handler` the consumer of `topic`; registering a topic twice replaces the first."""
    _HANDLERS[topic] = HandlerSpec(handler=handler, transactional=transactional)


def unregister_outbox_handler(topic: str) -> None:
    """Remove the consumer of `topic`; its messages then fail until one is registered again."""
    _HANDLERS.pop(topic, None)


def handler_for(topic: str) -> HandlerSpec | None:
    return _HANDLERS.get(topic)


def registered_topics() -> list[str]:
    return sorted(_HANDLERS)
