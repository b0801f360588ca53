"""`manage.py run_relay`: deliver the outbox until SIGTERM/SIGINT (or, with --once, until empty).

On PostgreSQL the relay also listens for the outbox's commit notifications and starts a pass at
once (wakeup.py); --interval is then the fallback poll. --no-listen polls only.
"""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from onboarding.notifications.relay import (
    relay_drain,
    relay_loop,
    relay_wakeup,
    relay_worker_id,
)

logger = logging.getLogger("onboarding.notifications.relay")


class Command(BaseCommand):
    help = "Deliver outbox messages (email, in-app inbox, integration events) at least once."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=0.1,
            help=(
                "Seconds to wait for new messages once the outbox is empty (default 0.1); on "
                "PostgreSQL a committed message ends the wait at once."
            ),
        )
        parser.add_argument(
            "--no-listen",
            action="store_false",
            dest="listen",
            help="Do not LISTEN for commit notifications on PostgreSQL: poll only.",
        )
        parser.add_argument(
            "--once", action="store_true", help="Deliver everything due now, then exit."
        )
        parser.add_argument(
            "--batch-size", type=int, default=None, help="Rows per claim (OUTBOX_BATCH_SIZE)."
        )

    def handle(
        self,
        *args,
        interval: float,
        once: bool,
        batch_size: int | None,
        listen: bool = True,
        **options,
    ):
        stop = threading.Event()

        def request_stop(signum, frame) -> None:
            # Finish the message in hand, give the rest of the batch back, then leave.
            logger.info("relay stopping", extra={"signal": signal.Signals(signum).name})
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        worker_id = relay_worker_id()
        wakeup = relay_wakeup() if listen and not once else None
        logger.info(
            "relay started",
            extra={
                "worker_id": worker_id,
                "interval": interval,
                "once": once,
                "listening": wakeup is not None,
            },
        )
        # Due timers fire first in each pass, so what they write is delivered in the same pass.
        ticks = [import_string(path) for path in settings.RELAY_TICKS]
        if once:
            for tick in ticks:
                tick()
            stats = relay_drain(worker_id=worker_id, batch_size=batch_size, should_stop=stop.is_set)
        else:
            stats = relay_loop(
                worker_id=worker_id,
                interval=max(interval, 0.02),
                stop=stop,
                batch_size=batch_size,
                ticks=ticks,
                wakeup=wakeup,
            )
        logger.info(
            "relay stopped",
            extra={
                "worker_id": worker_id,
                "sent": stats.sent,
                "retrying": stats.retrying,
                "dead": stats.dead,
                "lost": stats.lost,
            },
        )
