# Service-aware dunning (issue 17): DunningHold, the "manager_decision" stop, and the holds the
# acceptance and sysops apps would have placed already (red acceptances, open high or critical
# requests), backfilled by dunning_holds.dunning_holds_backfill.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from onboarding.billing.dunning_holds import dunning_holds_backfill


def backfill(apps, schema_editor):
    dunning_holds_backfill(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_customer_currency'),
        ('billing', '0011_invoice_payment_action_required'),
        # Read by the backfill (historical models only: no code of theirs is imported).
        ('acceptance', '0001_initial'),
        ('sysops', '0003_search_statistics'),
    ]

    operations = [
        migrations.AlterField(
            model_name='invoice',
            name='retry_stopped',
            field=models.CharField(blank=True, choices=[('', 'Retrying on the schedule'), ('hard_decline', 'Hard decline: waiting for a new card'), ('manager_decision', "Waiting for a manager's decision")], db_default='', default='', max_length=16),
        ),
        migrations.CreateModel(
            name='DunningHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('acceptance', 'Acceptance is red'), ('request', 'Open high-severity request')], max_length=16)),
                ('reference', models.CharField(max_length=64)),
                ('reason', models.CharField(max_length=255)),
                ('placed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('lifted_at', models.DateTimeField(blank=True, null=True)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='dunning_holds', to='accounts.customer')),
            ],
            options={
                'indexes': [models.Index(fields=['customer', 'lifted_at'], name='dunning_hold_customer_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('customer', 'source', 'reference'), name='dunning_hold_one_active'), models.CheckConstraint(condition=models.Q(('source__in', ['acceptance', 'request'])), name='dunning_hold_source_valid')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
