"""The staff console in German (docs/i18n.md, issue 20): a member of staff whose console language
is German (User.staff_language) sees the alerts, the audit log, sent mail and the outbox, the
webhooks, the test clocks and the background tasks in German, with no English word of the
page's own left (recorded data stays as recorded: reasons, action names, messages, addresses);
their form errors are German; the alert mail reaches a German admin in German and an English
admin in English. English pages are unchanged (the apps' own tests)."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from onboarding.accounts.models import User
from onboarding.alerts.models import AdminAlert
from onboarding.alerts.services import admin_alert_raise
from onboarding.core.roles import Role
from onboarding.notifications.models import Notification, OutboxMessage, SentMail
from onboarding.notifications.relay import relay_drain
from onboarding.testclocks.services import clock_create
from onboarding.webhooks.services import endpoint_create
from tests.factories import staff_user
from tests.notifications.conftest import embedded_mail  # noqa: F401 (a fixture)
from tests.webhooks.helpers import record, seal_and_dispatch

pytestmark = pytest.mark.django_db

# Words these pages are made of in English; none may be left in a German page's main content.
ENGLISH = [
    "Alert",
    "Alerts",
    "alerts",
    "State",
    "Severity",
    "Reason",
    "Object",
    "Count",
    "Occurrences",
    "First seen",
    "Last seen",
    "Context",
    "Acknowledge",
    "Resolve",
    "Resolution",
    "Filter",
    "Clear",
    "Any",
    "Page",
    "Newer",
    "Older",
    "Audit",
    "Actor",
    "Action",
    "Changes",
    "Request",
    "When",
    "Entry",
    "Field",
    "Before",
    "After",
    "sealed",
    "Outbox",
    "Sent",
    "sent",
    "Subject",
    "Recipient",
    "Attempts",
    "Next attempt",
    "Last error",
    "Re-queue",
    "Topic",
    "Delivery",
    "Attachments",
    "pending",
    "retrying",
    "dead",
    "Endpoint",
    "Description",
    "Events",
    "Waiting",
    "Failed",
    "Register",
    "Pause",
    "Rotate",
    "Delete",
    "Replay",
    "Resend",
    "Test clock",
    "Simulated",
    "Create",
    "Advance",
    "What happened",
    "customers",
    "Background",
    "tasks",
    "ready",
    "running",
    "successful",
    "failed",
    "Workers",
    "Recent",
    "No ",
    "none",
    "yet",
    "the",
    "and",
    "with",
    "of",
    "by",
    "to",
    "ago",
    "from",
    "From",
    "To",
]


def main_text(response) -> str:
    """The visible text of the page's <main>, with the column names a phone shows."""
    page = response.content.decode()
    main = page.split('id="content"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    labels = " ".join(re.findall(r'(?:data-label|aria-label|placeholder|title)="([^"]*)"', main))
    text = html.unescape(re.sub(r"<[^>]+>", " ", main)) + " " + html.unescape(labels)
    return re.sub(r"\s+", " ", text)


def english_left(text: str, *data: str) -> list[str]:
    for value in data:  # recorded data stays as it was recorded
        text = text.replace(value, " ")
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


def german(role: str = Role.ADMIN) -> tuple[User, Client]:
    member = staff_user(role)
    User.objects.filter(pk=member.pk).update(staff_language="de")
    client = Client()
    client.force_login(User.objects.get(pk=member.pk))
    return member, client


REASON = "payment.declined"
MESSAGE = "The card ending 4242 was declined"


def _alert(**extra) -> AdminAlert:
    return admin_alert_raise(
        reason=REASON,
        message=MESSAGE,
        object_type="billing.invoice",
        object_id="7",
        severity="warning",
        context={"decline_code": "card_declined"},
        **extra,
    )


def _get(client, url, **params):
    answer = client.get(url, params)
    assert answer.status_code == 200, (url, answer.status_code)
    assert '<html lang="de">' in answer.content.decode()
    return answer


def test_the_alert_list_and_an_alert_are_german(db):
    _admin, client = german()
    alert = _alert()
    text = main_text(_get(client, reverse("alerts:list")))
    assert "Administrator-Alarme" in text and "Schweregrad" in text and "Filtern" in text
    assert "Warnung" in text and "Offen" in text
    assert english_left(text, REASON, MESSAGE, "billing.invoice:7") == []

    text = main_text(_get(client, reverse("alerts:detail", args=[alert.pk])))
    assert f"Alarm Nr. {alert.pk}" in text and "Vorkommen" in text and "Quittieren" in text
    assert "Notiz zur Erledigung" in text and "Erledigen" in text
    context = '"decline_code": "card_declined"'
    assert english_left(text, REASON, MESSAGE, "billing.invoice:7", context) == []


def test_acknowledging_and_resolving_say_so_in_german(db):
    admin, client = german()
    alert = _alert()
    answer = client.post(reverse("alerts:acknowledge", args=[alert.pk]), follow=True)
    page = main_text(answer)
    assert f"Alarm Nr. {alert.pk} ist jetzt quittiert." in answer.content.decode()
    assert "Quittiert am" in page and admin.email in page
    answer = client.post(
        reverse("alerts:resolve", args=[alert.pk]), {"note": "Karte ersetzt"}, follow=True
    )
    page = main_text(answer)
    assert f"Alarm Nr. {alert.pk} ist jetzt erledigt." in answer.content.decode()
    assert "Erledigt am" in page and "Karte ersetzt" in page
    # Acknowledging a resolved alert again is refused with a message, never a 500.
    again = client.post(reverse("alerts:acknowledge", args=[alert.pk]), follow=True)
    assert again.status_code == 200


def test_a_sysops_member_is_told_in_german_that_only_an_admin_may_act(db):
    _admin, _ = german()
    _sysops, client = german(Role.SYSOPS)
    alert = _alert()
    text = main_text(_get(client, reverse("alerts:detail", args=[alert.pk])))
    assert "Nur ein Administrator kann Alarme quittieren oder erledigen." in text
    refused = client.post(reverse("alerts:acknowledge", args=[alert.pk]))
    assert refused.status_code == 403
    assert "Dazu ist nur ein Administrator berechtigt." in refused.content.decode()


def test_the_alert_mail_reaches_a_german_admin_in_german_and_an_english_one_in_english(db):
    german_admin, _ = german()
    english_admin = staff_user(Role.ADMIN)
    alert = _alert()
    to_german = Notification.objects.get(recipient=german_admin, kind="admin_alert")
    to_english = Notification.objects.get(recipient=english_admin, kind="admin_alert")
    assert to_german.language == "de" and to_english.language == "en"
    assert to_german.subject == f"[Warnung] {REASON}: {MESSAGE}"
    assert to_english.subject == f"[Warning] {REASON}: {MESSAGE}"
    assert "Ein Administrator-Alarm braucht Ihre Aufmerksamkeit." in to_german.body_text
    assert "Schweregrad: Warnung" in to_german.body_text
    assert "Alarm quittieren oder erledigen" in to_german.body_html
    assert "An admin alert needs your attention." in to_english.body_text
    assert "Severity: Warning" in to_english.body_text
    body = to_german.body_text.replace(MESSAGE, " ")
    assert not re.search(r"\b(Reason|Severity|Message|Context|Acknowledge|the|and)\b", body)
    assert alert.count == 1


def test_the_audit_log_and_an_entry_are_german(db):
    _admin, client = german()
    _alert()
    answer = _get(client, reverse("audit:list"), action="alert.raised")
    text = main_text(answer)
    assert "Prüfprotokoll" in text and "Akteur" in text and "Änderungen" in text
    assert "Kundennummer" in text and "Ergebnis" in text
    recorded = re.findall(r'<td data-label="[^"]*"[^>]*>(.*?)</td>', answer.content.decode(), re.S)
    data = [html.unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in recorded]
    data = [part for cell in data for part in cell.split("  ") if part.strip()]
    # The entries' recorded words (action, message, field names and values) stay as recorded.
    assert english_left(text, *sorted(data, key=len, reverse=True)) == []

    entry_link = re.search(r'href="(/staff/audit/\d+/)"', answer.content.decode()).group(1)
    detail = _get(client, entry_link)
    text = main_text(detail)
    assert "Hash-Kette" in text and "Feld" in text and "Adresse des Aufrufers" in text
    rows = re.findall(r"<td>(.*?)</td>", detail.content.decode(), re.S)
    values = [html.unescape(re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    heading = re.search(r"<h1>(.*?)<span", detail.content.decode(), re.S).group(1).strip()
    assert english_left(text, heading, *sorted(values, key=len, reverse=True)) == []


def test_the_audit_filters_errors_are_german(db):
    _admin, client = german()
    answer = client.get(
        reverse("audit:list"),
        {"customer_id": "abc", "date_from": "2026-05-02", "date_to": "2026-05-01"},
    )
    assert answer.status_code == 200
    errors = re.findall(r"<li>\s*([^<]+?)\s*</li>", answer.content.decode().split("errorlist")[1])
    assert "Kundennummer: Geben Sie eine ganze Zahl ein." in errors, errors
    assert "Bis: Das Enddatum liegt vor dem Anfangsdatum." in errors, errors
    assert english_left(main_text(answer)) == []


def test_sent_mail_and_the_outbox_are_german(db):
    admin, client = german()
    _alert()
    text = main_text(_get(client, reverse("mail:list")))
    assert "Gesendete E-Mails" in text and "Noch nicht zugestellt" in text
    assert "wartend" in text
    subject = f"[Warnung] {REASON}: {MESSAGE}"
    assert english_left(text, subject, admin.email, "notification.email", "MAIL_DROP_DIR") == []

    text = main_text(_get(client, reverse("mail:outbox")))
    assert "Postausgang" in text and "Thema, Adresse oder Betreff" in text
    assert (
        english_left(text, subject, admin.email, "notification.email", "notification.in_app") == []
    )

    message = OutboxMessage.objects.filter(notification__recipient=admin).order_by("pk").first()
    detail = _get(client, reverse("mail:outbox_detail", args=[message.pk]))
    text = main_text(detail)
    assert f"Postausgang Nr. {message.pk}" in text and "Deduplizierungsschlüssel" in text
    recorded = [message.topic, message.dedupe_key, "admin_alert", subject, admin.email]
    recorded += [message.notification.message_id]
    assert english_left(text, *recorded) == []

    refused = client.post(reverse("mail:outbox_requeue", args=[message.pk]))
    assert (
        "Nur eine aufgegebene Nachricht kann erneut eingereiht werden" in refused.content.decode()
    )


def _flat(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def test_a_sent_email_is_shown_in_german(embedded_mail):  # noqa: F811 (the imported fixture)
    admin, client = german()
    _alert()
    relay_drain(worker_id="test-relay")
    mail = next(m for m in SentMail.objects.order_by("pk") if admin.email in m.to)
    assert mail.delivery == "kept"
    answer = _get(client, reverse("mail:list"))
    text = main_text(answer)
    assert "Hier aufbewahrt" in text and "Gesendet" in text and "Anhänge" in text
    recorded = [mail.subject, admin.email, "notification.email", "notification.in_app"]
    assert english_left(text, *recorded, "MAIL_DROP_DIR") == []

    detail = _get(client, reverse("mail:detail", args=[mail.pk]))
    text = main_text(detail)
    assert "Textteil" in text and "In einer Sandbox angezeigt" in text and "Von" in text
    headers = [f"{name} {value}" for name, value in mail.headers.items()]
    recorded = [_flat(mail.body_text), mail.subject, mail.from_email, admin.email, *headers]
    assert english_left(text, *recorded, mail.message_id) == []


def test_the_webhook_pages_are_german_and_their_errors_too(db):
    admin, client = german()
    endpoint = endpoint_create(
        actor=admin, url="http://127.0.0.1:9/hooks/crm", event_types=["invoice.paid"]
    ).endpoint
    record("invoice.paid")
    seal_and_dispatch()
    url = endpoint.url
    text = main_text(_get(client, reverse("webhooks:list")))
    assert "Endpunkt registrieren" in text and "Ereignistypen" in text and "aktiv" in text
    event_names = re.findall(
        r'value="([a-z_]+\.[a-z_.]+)"', client.get("/staff/webhooks/").content.decode()
    )
    assert english_left(text, url, *sorted(event_names, key=len, reverse=True)) == []

    detail = _get(client, reverse("webhooks:detail", args=[endpoint.pk]))
    text = main_text(detail)
    assert "Zustellprotokoll" in text and "noch nicht versucht" in text and "Wartend" in text
    webhook_ids = re.findall(r"<code>(msg_[^<]+)</code>", detail.content.decode())
    assert english_left(text, url, "invoice.paid", *webhook_ids) == []

    bad = client.post(
        reverse("webhooks:replay", args=[endpoint.pk]),
        {"starts_at": "2026-05-02T10:00", "ends_at": "2026-05-01T10:00"},
    )
    assert bad.status_code == 400
    assert "Der Zeitraum muss nach seinem Beginn enden." in bad.content.decode()
    missing = client.post(reverse("webhooks:replay", args=[endpoint.pk]), {})
    assert "Dieses Feld ist zwingend erforderlich." in missing.content.decode()

    registered = client.post(reverse("webhooks:list"), {"url": "http://127.0.0.1:9/hooks/erp"})
    assert registered.status_code == 200
    text = main_text(registered)
    assert "Endpunkt registriert" in text and "Kopieren Sie dieses Geheimnis jetzt" in text
    secret = re.search(r'id="webhook-secret"[^>]*value="([^"]+)"', registered.content.decode())
    assert english_left(text, "http://127.0.0.1:9/hooks/erp", secret.group(1)) == []

    paused = client.post(
        reverse("webhooks:pause", args=[endpoint.pk]), {"paused": "1"}, follow=True
    )
    assert "Der Endpunkt ist pausiert." in paused.content.decode()


def test_the_test_clock_pages_are_german_and_their_errors_too(db):
    admin, client = german()
    test_clock = clock_create(actor=admin, name="Jahreswechsel")
    text = main_text(_get(client, reverse("testclocks:list")))
    assert "Testuhren" in text and "Testuhr anlegen" in text and "Bereit" in text
    assert english_left(text, "Jahreswechsel", "docs/test-clocks.md") == []

    text = main_text(_get(client, reverse("testclocks:detail", args=[test_clock.pk])))
    assert "Simulierte Zeit" in text and "Vorstellen" in text and "Testkunden anlegen" in text
    events = ["test_clock.created", "Test customer", "4242424242424242", "docs/payments.md"]
    assert english_left(text, "Jahreswechsel", *events) == []

    bad = client.post(reverse("testclocks:advance", args=[test_clock.pk]), {"unit": "days"})
    assert bad.status_code == 400
    assert "Geben Sie an, wie weit oder bis wann vorgestellt werden soll." in bad.content.decode()
    behind = client.post(
        reverse("testclocks:advance", args=[test_clock.pk]), {"to": "2001-01-01T00:00"}
    )
    assert "Eine Uhr läuft nur vorwärts" in behind.content.decode()


def test_the_background_tasks_page_is_german(db):
    _admin, client = german()
    text = main_text(_get(client, reverse("tasks:list")))
    assert "Hintergrundaufgaben" in text and "jetzt bereit zur Ausführung" in text
    assert "Keine Fehlschläge." in text
    assert english_left(text, "manage.py run_worker") == []
    missing = client.post(reverse("tasks:requeue", args=["00000000-0000-0000-0000-000000000000"]))
    assert "Diese Aufgabe gibt es nicht." in client.get(reverse("tasks:list")).content.decode()
    assert missing.status_code == 302
