from django.contrib.auth.models import AnonymousUser

from onboarding.audit.models import AuditEntry, Outcome
from onboarding.audit.services import audit_record
from onboarding.core.context import request_context
from onboarding.core.roles import Role
from tests.factories import UserFactory


def test_entry_records_actor_email_and_role(db):
    user = UserFactory(email="ops@example.com", role=Role.SYSOPS)
    entry = audit_record(action="contract.sent", actor=user)
    assert (entry.actor_id, entry.actor_email, entry.actor_role) == (
        user.pk,
        "ops@example.com",
        "sysops",
    )


def test_anonymous_actor_is_recorded_as_nobody(db):
    entry = audit_record(action="auth.login_failed", actor=AnonymousUser())
    assert entry.actor_id is None
    assert entry.actor_email == ""


def test_target_supplies_object_type_and_id(db):
    user = UserFactory()
    entry = audit_record(action="account.updated", target=user, customer_id=user.pk)
    assert (entry.object_type, entry.object_id, entry.customer_id) == (
        "accounts.user",
        str(user.pk),
        user.pk,
    )


def test_request_id_and_client_address_come_from_the_request_context(db):
    with request_context(request_id="req-1234abcd", client_ip="203.0.113.7"):
        entry = audit_record(action="invoice.paid", outcome=Outcome.SUCCESS)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.request_id, stored.client_ip) == ("req-1234abcd", "203.0.113.7")


def test_recording_only_inserts_an_unsealed_entry(db):
    entry = audit_record(action="invoice.issued")
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.seq, stored.prev_hash, stored.hash) == (None, None, None)


def test_a_real_request_stamps_its_request_id_on_the_entry(customer_client):
    # A customer in the staff area is refused and audited by the staff middleware.
    response = customer_client.get(
        "/staff/audit/", HTTP_X_REQUEST_ID="trace-0001-abcd", REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 404
    entry = AuditEntry.objects.get(action="access.refused")
    assert (entry.request_id, entry.client_ip, entry.outcome) == (
        "trace-0001-abcd",
        "198.51.100.4",
        Outcome.REFUSED,
    )


def test_deleting_a_user_keeps_their_entries(db):
    # A staff account: a customer's account is protected by its customer record.
    user = UserFactory(email="gone@example.com", role="sysops")
    entry = audit_record(action="account.closed", actor=user)
    user.delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor_email == "gone@example.com"
