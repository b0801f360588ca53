"""manage.py verify_audit: recompute the audit hash chain and report the first problem.

Exit status 0 with "N entries verified, chain intact" when it holds; non-zero, naming the first
edited, deleted or out-of-order entry, when it does not, or when the chain ends before the head
the sealer recorded (a cut tail, an emptied table).
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onboarding.audit.selectors import DEFAULT_GRACE, ChainAnchor, audit_verify_chain

_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _anchor(value: str) -> ChainAnchor:
    match = _ANCHOR.match(value.strip().lower())
    if not match:
        raise CommandError("--anchor takes SEQ:HASH, e.g. 1200:<64 hex digits>")
    return ChainAnchor(seq=int(match.group(1)), hash=match.group(2))


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero on the first problem found."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            help="a head kept outside the database (the sealer logs it) as SEQ:HASH; catches "
            "a deleted or rebuilt tail even when the recorded head was moved back with it",
        )
        parser.add_argument(
            "--grace-minutes",
            type=float,
            default=DEFAULT_GRACE.total_seconds() / 60,
            help="how far an entry may lag behind entries sealed before it (default: %(default)s)",
        )
        parser.add_argument("--chunk-size", type=int, default=2000)
        parser.add_argument(
            "--progress-every", type=int, default=10_000, help="report progress to stderr"
        )

    def handle(self, *args, **options) -> None:
        anchor = _anchor(options["anchor"]) if options["anchor"] else None
        if options["chunk_size"] < 1 or options["progress_every"] < 1:
            raise CommandError("--chunk-size and --progress-every must be at least 1")

        def progress(count: int) -> None:
            self.stderr.write(f"... {count:,} entries verified")
            self.stderr.flush()

        report = audit_verify_chain(
            grace=timedelta(minutes=options["grace_minutes"]),
            anchor=anchor,
            chunk_size=options["chunk_size"],
            progress=progress,
            progress_every=options["progress_every"],
        )
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        if report.problem is not None:
            raise CommandError(
                f"audit chain broken after {report.entries_verified:,} good entries: "
                f"{report.problem}"
            )
        head = (
            f"head seq {report.head_seq} hash {report.head_hash}"
            if report.head_seq
            else "no sealed entries yet"
        )
        self.stdout.write(
            self.style.SUCCESS(f"{report.entries_verified} entries verified, chain intact")
        )
        self.stdout.write(f"{head}; {report.unsealed} awaiting sealing")
        recorded = report.recorded_head
        if recorded is not None:
            self.stdout.write(f"recorded head seq {recorded.seq} hash {recorded.hash} matches")
