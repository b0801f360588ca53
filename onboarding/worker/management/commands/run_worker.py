"""`manage.py run_worker`: the one task worker to run (never django-tasks-db's db_worker).

It takes db_worker's options (queues, interval, batch, max tasks, worker id) and adds
heartbeats, the stale-task reaper, retries with backoff, the periodic scheduler and, on
PostgreSQL, a wake-up when a task is committed (--interval is then the fallback poll;
--no-listen polls only); see onboarding/worker/runner.py and docs/worker.md.
"""

import os
from argparse import ArgumentParser

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from onboarding.worker.runner import ResilientWorker, new_worker_id


class Command(DbWorkerCommand):
    help = "Run a crash-safe background task worker (heartbeat, reaper, retries, periodic tasks)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Do not enqueue settings.WORKER_PERIODIC_TASKS from this worker.",
        )
        parser.add_argument(
            "--no-listen",
            action="store_false",
            dest="listen",
            help="Do not LISTEN for committed tasks on PostgreSQL: poll every --interval only.",
        )
        # Our defaults: every queue; no reloader unless asked (a reload kills running tasks);
        # an id that names the host and process, so the tasks page says which worker is which.
        parser.set_defaults(queue_name="*", reload=False, worker_id=None)

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str | None,
        exclude_queues: str,
        scheduler: bool,
        listen: bool = True,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        if exclude_queues and "*" not in queue_name.split(","):
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id or new_worker_id(),
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            scheduler=scheduler and not batch,
            listen=listen,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
            return
        worker.configure_signals()
        worker.run()
