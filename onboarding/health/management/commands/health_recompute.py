"""Recompute customers' health scores now: every customer, or one (--customer ID)."""

from django.core.management.base import BaseCommand, CommandError

from onboarding.accounts.models import Customer
from onboarding.health.follow import health_recompute_all


class Command(BaseCommand):
    help = "Recompute the health score of every customer, or of one with --customer ID."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customer", type=int, help="Only this customer's id.")

    def handle(self, *args, **options) -> None:
        wanted = options.get("customer")
        if wanted is not None and not Customer.objects.filter(pk=wanted).exists():
            raise CommandError(f"There is no customer with id {wanted}.")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done} of {total} customers scored")

        done, failed = health_recompute_all(
            customer_ids=[wanted] if wanted is not None else None, on_progress=progress
        )
        self.stdout.write(self.style.SUCCESS(f"Health scores recomputed: {done}"))
        if failed:
            raise CommandError(
                f"{failed} could not be scored: each raised an admin alert (see the logs)."
            )
