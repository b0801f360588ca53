from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def prices_take_their_plans_currency(apps, schema_editor):
    """Each existing price was in its plan's currency: it keeps that currency."""
    Plan = apps.get_model("catalog", "Plan")
    PlanPrice = apps.get_model("catalog", "PlanPrice")
    PlanPrice.objects.update(
        currency=Subquery(Plan.objects.filter(pk=OuterRef("plan_id")).values("currency")[:1])
    )


def plans_take_a_price_currency(apps, schema_editor):
    """Backwards: a plan takes the currency of one of its prices; prices in any other currency
    cannot stay (one price per plan and cycle again)."""
    Plan = apps.get_model("catalog", "Plan")
    PlanPrice = apps.get_model("catalog", "PlanPrice")
    for plan in Plan.objects.all():
        first = PlanPrice.objects.filter(plan=plan).order_by("id").first()
        if first is None:
            continue
        Plan.objects.filter(pk=plan.pk).update(currency=first.currency)
        PlanPrice.objects.filter(plan=plan).exclude(currency=first.currency).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="planprice",
            name="currency",
            field=models.CharField(
                choices=[
                    ("USD", "USD"),
                    ("EUR", "EUR"),
                    ("GBP", "GBP"),
                    ("CAD", "CAD"),
                    ("AUD", "AUD"),
                    ("CHF", "CHF"),
                    ("JPY", "JPY"),
                ],
                default="EUR",
                max_length=3,
            ),
        ),
        migrations.AlterModelOptions(
            name="planprice",
            options={"ordering": ["plan", "cycle", "currency"]},
        ),
        migrations.RemoveConstraint(
            model_name="plan",
            name="plan_tax_rate_at_most_100pct",
        ),
        migrations.RemoveConstraint(
            model_name="planprice",
            name="one_price_per_plan_cycle",
        ),
        migrations.AddConstraint(
            model_name="planprice",
            constraint=models.UniqueConstraint(
                fields=("plan", "cycle", "currency"), name="one_price_per_plan_cycle_currency"
            ),
        ),
        migrations.RunPython(prices_take_their_plans_currency, plans_take_a_price_currency),
        migrations.RemoveField(
            model_name="plan",
            name="currency",
        ),
        migrations.RemoveField(
            model_name="plan",
            name="tax_rate_bp",
        ),
    ]
