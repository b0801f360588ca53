"""`manage.py risk_consume --group G`: a reference consumer of the Redis Stream of risk events.

Reads with a consumer group, drops ids the group has already taken, prints each event as one
JSON line on stdout, and acknowledges it. Stops on Ctrl-C, or after --max events.
"""

import json
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from onboarding.risk.streams import redis_client, risk_stream_ack, risk_stream_read


class Command(BaseCommand):
    help = "Read risk events from the Redis Stream with a consumer group (docs/events.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--group", default="reporting")
        parser.add_argument("--consumer", default=socket.gethostname())
        parser.add_argument("--max", type=int, default=0, help="Stop after this many (0: never).")
        parser.add_argument("--block-ms", type=int, default=5000)

    def handle(self, *args, group: str, consumer: str, max: int, block_ms: int, **options):
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set: the risk stream lives in the database only.")
        client = redis_client()
        taken = 0
        try:
            while not max or taken < max:
                entries = risk_stream_read(
                    client, group=group, consumer=consumer, count=100, block_ms=block_ms
                )
                for entry in entries:
                    self.stdout.write(json.dumps(entry.event, sort_keys=True))
                risk_stream_ack(client, group=group, entry_ids=[e.entry_id for e in entries])
                taken += len(entries)
        except KeyboardInterrupt:
            pass
