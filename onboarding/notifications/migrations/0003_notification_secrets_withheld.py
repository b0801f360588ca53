"""Secret-bearing mail stored before this release loses its links and codes wherever staff read
it (notification rows, inbox copies, sent-mail copies); an email still waiting to be sent keeps
its whole text sealed, so it still goes out working."""

from django.db import migrations, models

from onboarding.notifications.sealing import bodies_seal
from onboarding.notifications.withholding import carries_secret, secrets_withhold

_UNSENT = ("pending", "retrying", "dead")


def withhold_stored_secrets(apps, schema_editor) -> None:
    Notification = apps.get_model("notifications", "Notification")
    InboxMessage = apps.get_model("notifications", "InboxMessage")
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    SentMail = apps.get_model("notifications", "SentMail")

    rows = Notification.objects.only("id", "kind", "body_text", "body_html").iterator()
    secret = [n for n in rows if carries_secret(n.kind, n.body_text, n.body_html)]
    for notification in secret:
        unsent = OutboxMessage.objects.filter(
            notification_id=notification.pk, channel="email", status__in=_UNSENT
        ).exists()
        text, html = notification.body_text, notification.body_html
        Notification.objects.filter(pk=notification.pk).update(
            body_text=secrets_withhold(text),
            body_html=secrets_withhold(html),
            secrets_withheld=True,
            sealed_bodies=bodies_seal(text=text, html=html) if unsent else "",
        )
        for inbox in InboxMessage.objects.filter(notification_id=notification.pk):
            InboxMessage.objects.filter(pk=inbox.pk).update(
                body_text=secrets_withhold(inbox.body_text)
            )
    secret_ids = {str(n.pk) for n in secret}
    copies = SentMail.objects.only("id", "headers", "body_text", "body_html").iterator()
    for copy in [
        c
        for c in copies
        if str((c.headers or {}).get("X-Onboarding-Notification", "")) in secret_ids
        or carries_secret("", c.body_text, c.body_html)
    ]:
        SentMail.objects.filter(pk=copy.pk).update(
            body_text=secrets_withhold(copy.body_text),
            body_html=secrets_withhold(copy.body_html),
            secrets_withheld=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_sentmail_delivery"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="sealed_bodies",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="notification",
            name="secrets_withheld",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(withhold_stored_secrets, migrations.RunPython.noop),
    ]
