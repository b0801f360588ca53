"""A sign-out, or a staff session ended by its time limit, is audited once it is done: when ending
the session fails (its row cannot be deleted: a real database failure, tests/db_faults.py), the
audit log records the failure, never a sign-out, and an admin is alerted."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import DatabaseError
from django.urls import reverse

from onboarding.accounts.middleware import LAST_SEEN_KEY
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from tests.accounts.flows import session_key_of, sign_in
from tests.db_faults import HICCUP, database_fails

# Transactional: the failed DELETE must not poison a test-wide transaction on PostgreSQL, so
# the alert and the audit entries after it are written as they are in production.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_cache")]
STAFF_PAGE = "/staff/"


def _audited(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


def test_a_sign_out_that_cannot_end_the_session_is_reported_not_audited_as_a_sign_out(
    client, customer, admin_user
):
    sign_in(client, customer.email)
    key = session_key_of(client)

    with (
        database_fails(Session, "DELETE", name="session_end_hiccup"),
        pytest.raises(DatabaseError),
    ):
        client.post(reverse("account_logout"))

    assert _audited("auth.logout") == []
    assert SessionStore().exists(key)  # still signed in: nothing claims otherwise
    alert = AdminAlert.objects.get(reason="account_unavailable")
    assert HICCUP in alert.message
    assert len(_audited("failure.account_unavailable")) == 1

    # With the database well again, the sign-out ends the session and is audited, once.
    client.post(reverse("account_logout"))
    assert not SessionStore().exists(key)
    (entry,) = _audited("auth.logout")
    assert entry.actor == customer


def test_an_expired_staff_session_that_cannot_be_ended_is_reported_not_audited_as_expired(
    settings, sysops_client, sysops, admin_user
):
    settings.STAFF_IDLE_TIMEOUT = timedelta(seconds=60)
    assert sysops_client.get(STAFF_PAGE).status_code == 200
    key = session_key_of(sysops_client)
    session = sysops_client.session
    session[LAST_SEEN_KEY] = time.time() - 61
    session.save()

    with (
        database_fails(Session, "DELETE", name="session_end_hiccup"),
        pytest.raises(DatabaseError),
    ):
        sysops_client.get(STAFF_PAGE)

    assert _audited("auth.session_expired") == []
    assert SessionStore().exists(key)
    alert = AdminAlert.objects.get(reason="session_expiry_failed")
    assert "idle timeout" in alert.message
    assert HICCUP in alert.message
    (failure,) = _audited("failure.session_expiry_failed")
    assert failure.actor == sysops

    # The next request, with the database well again, ends it and audits the expiry once.
    response = sysops_client.get(STAFF_PAGE)
    assert response["Location"].startswith(reverse("account_login"))
    assert not SessionStore().exists(key)
    (entry,) = _audited("auth.session_expired")
    assert (entry.actor, entry.message) == (sysops, "idle timeout")
