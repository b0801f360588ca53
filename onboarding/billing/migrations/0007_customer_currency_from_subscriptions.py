from django.db import migrations
from django.db.models import OuterRef, Subquery


def customers_keep_the_currency_they_bought_in(apps, schema_editor):
    """A customer who bought before currencies were chosen keeps the currency of their
    subscriptions (all in their plan's one currency until now)."""
    Customer = apps.get_model("accounts", "Customer")
    Subscription = apps.get_model("billing", "Subscription")
    first = Subscription.objects.filter(customer_id=OuterRef("pk")).order_by("purchased_at", "id")
    bought = Subscription.objects.values("customer_id")
    Customer.objects.filter(currency="", pk__in=bought).update(
        currency=Subquery(first.values("currency")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_customer_currency"),
        ("billing", "0006_invoice_tax_decision_and_line_rates"),
    ]

    operations = [
        migrations.RunPython(customers_keep_the_currency_they_bought_in, migrations.RunPython.noop),
    ]
