# Dunning follows the decline code: a hard decline stops the retries (retry_stopped) until a new
# card is on file, whose attempt is recorded with the source "new_card".

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_plan_change_not_applied'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='retry_stopped',
            field=models.CharField(blank=True, choices=[('', 'Retrying on the schedule'), ('hard_decline', 'Hard decline: waiting for a new card')], db_default='', default='', max_length=16),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='attempt_source',
            field=models.CharField(blank=True, choices=[('issue', 'When issued'), ('retry', 'Dunning retry'), ('customer', 'Paid by the customer'), ('new_card', 'New card')], max_length=10),
        ),
    ]
