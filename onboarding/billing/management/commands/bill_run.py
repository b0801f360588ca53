"""manage.py bill_run [--date YYYY-MM-DD]: invoice and charge every subscription due that day.

Progress goes to stderr (a line every --progress-every invoices), the summary to stdout. Safe to
run again after a crash, and in several processes at once on PostgreSQL: they share the work.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onboarding.billing.billrun import BillRunProgress, bill_run_execute
from onboarding.core import clock


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--date takes a day as YYYY-MM-DD, not {text!r}") from exc


class Command(BaseCommand):
    help = "Invoice and charge every live subscription due on a day (today by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=str, help="The billing day, YYYY-MM-DD (UTC).")
        parser.add_argument("--batch-size", type=int, default=None, help="Subscriptions a batch.")
        parser.add_argument(
            "--loops",
            type=int,
            default=None,
            help=(
                "Claim-and-charge loops at once in this process, each on its own connection "
                "(PostgreSQL; BILLING_RUN_LOOPS by default, 1 if unset)."
            ),
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=1000,
            help="Write a progress line to stderr every N invoices (0: none).",
        )

    def handle(self, *args, **options) -> None:
        run_date = _day(options["date"]) if options["date"] is not None else clock.now().date()
        batch_size = options["batch_size"]
        if batch_size is not None and not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size takes 1 to 10000")
        loops = options["loops"]
        if loops is not None and not 1 <= loops <= 8:
            raise CommandError("--loops takes 1 to 8")
        every = max(options["progress_every"], 0)
        next_line = every

        def report(progress: BillRunProgress) -> None:
            nonlocal next_line
            if every and progress.issued >= next_line:
                self.stderr.write(progress.line())
                self.stderr.flush()
                next_line = (progress.issued // every + 1) * every

        progress = bill_run_execute(
            run_date=run_date, batch_size=batch_size, on_progress=report, loops=loops
        )
        if progress.resumed:
            self.stderr.write(f"sent {progress.resumed} charges a previous run left unsent")
        self.stdout.write(progress.line())
