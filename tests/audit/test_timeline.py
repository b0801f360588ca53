from django.core.management import call_command

from onboarding.audit.selectors import audit_timeline_for_customer
from onboarding.audit.services import audit_record


def test_timeline_is_the_customers_entries_newest_first(db):
    first = audit_record(action="account.created", customer_id=5)
    audit_record(action="someone.else", customer_id=6)
    second = audit_record(action="invoice.paid", customer_id=5)
    timeline = audit_timeline_for_customer(customer_id=5)
    assert [entry.pk for entry in timeline] == [second.pk, first.pk]


def test_timeline_is_limited(db):
    for _ in range(5):
        audit_record(action="x.event", customer_id=5)
    assert len(audit_timeline_for_customer(customer_id=5, limit=3)) == 3


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "audit", "--check", "--dry-run", verbosity=0)
