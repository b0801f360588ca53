from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def freeze_current_vat_numbers(apps, schema_editor):
    """Invoices issued before this field printed the customer's VAT number as it is now, so
    that is the number they keep: a PDF rendered again (once paid) shows what the first did."""
    Customer = apps.get_model("accounts", "Customer")
    Invoice = apps.get_model("billing", "Invoice")
    Invoice.objects.exclude(status="draft").filter(customer__vat_number__gt="").update(
        bill_to_vat_number=Subquery(
            Customer.objects.filter(pk=OuterRef("customer_id")).values("vat_number")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_customer_vat_number"),
        ("billing", "0003_subscription_live_due_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="bill_to_vat_number",
            field=models.CharField(blank=True, max_length=20, verbose_name="VAT number"),
        ),
        migrations.RunPython(freeze_current_vat_numbers, migrations.RunPython.noop),
    ]
