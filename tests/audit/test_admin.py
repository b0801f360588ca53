from django.urls import reverse

from onboarding.audit.services import audit_record


def test_admin_lists_entries(admin_client_2fa):
    audit_record(action="admin.visible")
    response = admin_client_2fa.get(reverse("admin:audit_auditentry_changelist"))
    assert response.status_code == 200
    assert "admin.visible" in response.content.decode()


def test_admin_cannot_add_an_entry(admin_client_2fa):
    assert admin_client_2fa.get(reverse("admin:audit_auditentry_add")).status_code == 403


def test_admin_sees_an_entry_read_only(admin_client_2fa):
    entry = audit_record(action="admin.visible")
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    page = admin_client_2fa.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client_2fa.post(url, {"action": "changed"}).status_code == 403


def test_admin_cannot_delete_an_entry(admin_client_2fa):
    entry = audit_record(action="admin.visible")
    url = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert admin_client_2fa.post(url, {"post": "yes"}).status_code == 403
