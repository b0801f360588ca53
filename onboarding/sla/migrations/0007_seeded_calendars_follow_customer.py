"""The seeded business and extended hours follow the customer on databases seeded before
sla.0005 (docs/sla.md, "Whose time zone").

sla.0005 added `ServiceHours.follows_customer` off for every existing calendar, and the seed sets
it only on a calendar it creates, so an install seeded before 0005 counted Essential's and
Business's clocks in Berlin for every customer until an admin ticked the box on each calendar
("the manual tick"). This ticks it for them: on the two calendars the seed makes (found by their
seed names), unless an admin has already decided (an audited admin edit of the calendar that
changed `follows_customer`, either way) or the calendar was made round the clock. Audited as an
admin edit would be (`sla.servicehours_updated`, no actor), as an unsealed entry the audit sealer
chains.

Clocks are left as they are: a clock keeps the place it was started in (its own `time_zone` and
`holiday_country`, sla.0005), so no running deadline moves; requests opened from now on, and a
re-term of a running clock (a severity change, a plan change, a review's new rating), count in
the customer's zone.
"""

from django.db import migrations
from django.utils import timezone

# The seed's names for them (sla.seed.BUSINESS_HOURS, EXTENDED_HOURS), as they were written.
SEEDED_FOLLOWING = (
    "Business hours (Mon-Fri 08:00-18:00, Berlin)",
    "Extended hours (Mon-Fri 07:00-20:00, Berlin)",
)
ADMIN_EDITS = ("sla.servicehours_created", "sla.servicehours_updated")


def seeded_calendars_follow_customer(apps, schema_editor):
    ServiceHours = apps.get_model("sla", "ServiceHours")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    for hours in ServiceHours.objects.filter(
        name__in=SEEDED_FOLLOWING, follows_customer=False, always_open=False
    ).order_by("pk"):
        edits = AuditEntry.objects.filter(
            action__in=ADMIN_EDITS, object_type="sla.servicehours", object_id=str(hours.pk)
        ).values_list("changes", flat=True)
        if any(isinstance(changes, dict) and "follows_customer" in changes for changes in edits):
            continue  # an admin chose: their choice stands
        hours.follows_customer = True
        hours.save(update_fields=["follows_customer"])
        AuditEntry.objects.create(
            occurred_at=timezone.now(),
            action="sla.servicehours_updated",
            outcome="success",
            object_type="sla.servicehours",
            object_id=str(hours.pk),
            changes={"follows_customer": [False, True]},
            message="migration sla.0007: the seeded calendar follows the customer's time zone "
            "and holidays, as the seed makes it on a new install",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_truncate_and_head_triggers"),
        ("sla", "0006_clock_plan_and_stop_reason"),
    ]

    operations = [
        migrations.RunPython(seeded_calendars_follow_customer, migrations.RunPython.noop)
    ]
