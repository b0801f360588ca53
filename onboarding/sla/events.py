"""The SLA app's audit events (admins' edits are audited by audit.admin_edits), one typed
function each: nothing else writes them."""

from onboarding.audit.services import audit_record


def sla_seeded(*, policies_created: int, holidays_created: int) -> None:
    audit_record(
        action="sla.seeded",
        object_type="sla.slapolicy",
        changes={"policies_created": policies_created, "holidays_created": holidays_created},
    )
