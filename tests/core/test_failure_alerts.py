"""A failure nobody planned for still tells the person and an admin: a real database fault."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from onboarding.accounts.models import Customer, User
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@contextmanager
def table_missing(model):
    """The table is gone for the length of the block, as after a botched migration."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(table + '_away')}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {quote(table + '_away')} RENAME TO {quote(table)}")


def test_sign_up_failing_on_the_database_shows_a_reference_and_alerts_an_admin():
    client = Client(raise_request_exception=False)
    with table_missing(Customer):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "unlucky@example.com",
                "password1": "a long and unusual passphrase",
                "password2": "a long and unusual passphrase",
            },
        )
    assert response.status_code == 500
    assert response["X-Request-ID"].encode() in response.content  # the reference to quote
    alert = AdminAlert.objects.get(reason="account_unavailable")
    assert "POST" in alert.message
    assert AuditEntry.objects.filter(action="failure.account_unavailable").exists()
    # Nothing half-made is left: the user row rolled back with the customer record.
    assert not User.objects.filter(email="unlucky@example.com").exists()


def test_a_404_is_not_an_alert(client):
    assert client.get("/no/such/page/").status_code == 404
    assert not AdminAlert.objects.exists()
