"""Arm a fault in the sandbox gateway, for demos of the unhappy paths:

manage.py sandbox_fault charge timeout_after_charge
manage.py sandbox_fault charge card_declined --times 3
manage.py sandbox_fault --list
"""

from django.core.management.base import BaseCommand, CommandError

from onboarding.core.errors import DomainError
from onboarding.payments.models import SandboxFault
from onboarding.payments.sandbox_faults import SANDBOX_FAULT_KINDS, sandbox_fault_arm


class Command(BaseCommand):
    help = "Make the sandbox gateway's next calls time out, decline or fail."

    def add_arguments(self, parser):
        parser.add_argument("operation", nargs="?", choices=sorted(SANDBOX_FAULT_KINDS))
        parser.add_argument("kind", nargs="?")
        parser.add_argument("--times", type=int, default=1, help="how many calls (default 1)")
        parser.add_argument(
            "--list", dest="show", action="store_true", help="show the faults still armed"
        )

    def handle(self, *args, operation=None, kind=None, times=1, show=False, **options):
        if show:
            armed = SandboxFault.objects.filter(remaining__gt=0).order_by("id")
            for fault in armed:
                self.stdout.write(str(fault))
            if not armed:
                self.stdout.write("No faults armed.")
            return
        if not operation or not kind:
            kinds = "; ".join(f"{op}: {', '.join(k)}" for op, k in SANDBOX_FAULT_KINDS.items())
            raise CommandError(f"Give an operation and a kind ({kinds}).")
        try:
            fault = sandbox_fault_arm(operation=operation, kind=kind, times=times)
        except DomainError as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(self.style.SUCCESS(f"Armed {fault}."))
