from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="riskevent",
            index=models.Index(fields=["-resolved_at"], name="risk_resolved_idx"),
        ),
    ]
