"""The staff console's language (docs/i18n.md): each member of staff chooses English or German
(User.staff_language) with the footer's switcher; their pages and the mail sent to them follow
it, not the browser; the Django admin stays English; French is not offered to staff."""

import pytest
from django.urls import reverse

from onboarding.accounts.models import User
from onboarding.audit.models import AuditEntry
from onboarding.notifications.models import Notification
from onboarding.notifications.services import notification_send, recipient_language

pytestmark = pytest.mark.django_db


def _page(client, url, **headers) -> str:
    answer = client.get(url, **headers)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def test_staff_pages_follow_the_console_language_not_the_browser(sysops_client, sysops):
    page = _page(sysops_client, "/staff/", HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="en">' in page and "Sign out" in page
    User.objects.filter(pk=sysops.pk).update(staff_language="de")
    sysops_client.logout()
    sysops_client.force_login(User.objects.get(pk=sysops.pk))
    page = _page(sysops_client, "/staff/", HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="de">' in page and "Abmelden" in page


def test_the_switcher_offers_staff_english_and_german_only(sysops_client):
    page = _page(sysops_client, "/staff/")
    assert 'name="language"' in page
    assert 'value="de"' in page and 'value="fr"' not in page


def test_the_switcher_changes_the_console_language_and_audits_it(sysops_client, sysops):
    answer = sysops_client.post(reverse("set_language"), {"language": "de", "next": "/staff/"})
    assert answer.status_code == 302 and answer["Location"] == "/staff/"
    assert User.objects.get(pk=sysops.pk).staff_language == "de"
    entry = AuditEntry.objects.get(action="accounts.user_updated", object_id=str(sysops.pk))
    assert entry.changes == {"staff_language": ["en", "de"]}
    assert '<html lang="de">' in _page(sysops_client, "/staff/")


def test_french_is_refused_to_staff_and_changes_nothing(sysops_client, sysops):
    answer = sysops_client.post(
        reverse("set_language"), {"language": "fr", "next": "/staff/"}, follow=True
    )
    assert answer.status_code == 200
    assert "Choose one of the languages offered." in answer.content.decode()
    assert User.objects.get(pk=sysops.pk).staff_language == "en"
    assert not AuditEntry.objects.filter(action="accounts.user_updated").exists()


def test_the_admin_stays_english(admin_client_2fa, admin_user):
    User.objects.filter(pk=admin_user.pk).update(staff_language="de")
    page = _page(admin_client_2fa, "/admin/", HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="en"' in page


def test_mail_to_staff_is_written_in_their_console_language(sysops):
    User.objects.filter(pk=sysops.pk).update(staff_language="de")
    member = User.objects.get(pk=sysops.pk)
    assert recipient_language(member) == "de"
    notice = notification_send(
        recipient=member,
        kind="staff_language_probe",
        dedupe_key="staff-language-probe",
        subject="Probe",
        template="notifications/generic",
        context={"body": "x", "greeting": "Hallo"},
    )
    assert Notification.objects.get(pk=notice.pk).language == "de"
