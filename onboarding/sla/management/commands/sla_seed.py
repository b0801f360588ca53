from django.core.management.base import BaseCommand

from onboarding.sla.seed import sla_seed


class Command(BaseCommand):
    help = (
        "Add the SLA seed: public holidays (DE, FR, GB, US, 2026-2028), the service-hours "
        "calendars, a policy per severity for every plan and its service credit terms. Leaves "
        "existing rows and values as they are."
    )

    def handle(self, *args, **options) -> None:
        result = sla_seed()
        self.stdout.write(
            f"SLA seed: {result.policies_created} policies and "
            f"{result.holidays_created} public holidays added; "
            f"{result.credit_terms_added} service credit terms filled in."
        )
