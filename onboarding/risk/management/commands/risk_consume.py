"""`manage.py risk_consume --group G`: a reference consumer of the Redis Stream of risk events.

Handling an event is printing it as one JSON line on stdout; then the event is marked handled
and its entry acknowledged (streams.risk_stream_consume: pending entries first, claims, new
entries). Give each running consumer its own --consumer name, the same one after a restart, so
it re-reads what it had read and not acknowledged. Stops on Ctrl-C or SIGTERM after the event
in hand, or after --max events.
"""

import json
import signal
import socket
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onboarding.risk.streams import redis_client, risk_stream_consume


class Command(BaseCommand):
    help = "Read risk events from the Redis Stream with a consumer group (docs/events.md)."
    # Back at work soon after a crash: it touches neither the database nor the URLs, and
    # `manage.py check` (CI, deploys) covers the project.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--group", default="reporting")
        parser.add_argument("--consumer", default=socket.gethostname())
        parser.add_argument("--max", type=int, default=0, help="Stop after this many (0: never).")
        parser.add_argument("--block-ms", type=int, default=5000)
        parser.add_argument("--count", type=int, default=100, help="Entries read at a time.")

    def handle(
        self, *args, group: str, consumer: str, max: int, block_ms: int, count: int, **options
    ) -> None:
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set: the risk stream lives in the database only.")
        if block_ms < 1 or count < 1 or max < 0:
            raise CommandError("--block-ms and --count must be 1 or more, --max 0 or more.")
        stopping = threading.Event()
        previous = {
            signum: signal.signal(signum, lambda *_: stopping.set())
            for signum in (signal.SIGINT, signal.SIGTERM)
        }

        def print_event(event: dict) -> None:
            self.stdout.write(json.dumps(event, sort_keys=True))
            self.stdout.flush()  # out before it is marked handled

        try:
            risk_stream_consume(
                redis_client(block_ms=block_ms),
                group=group,
                consumer=consumer,
                handle=print_event,
                max_events=max,
                count=count,
                block_ms=block_ms,
                should_stop=stopping.is_set,
            )
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
