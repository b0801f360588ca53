"""manage.py health_recompute, and the demo data scored at the end of its load."""

import pytest
from django.core.management import CommandError, call_command

from onboarding.accounts.models import Customer
from onboarding.audit.models import AuditEntry
from onboarding.audit.services import audit_seal_pending
from onboarding.demo.services import demo_data_load
from onboarding.health.follow import health_follow
from onboarding.health.models import CustomerHealth, HealthFollowCursor

pytestmark = pytest.mark.django_db


def test_the_command_scores_every_customer_and_shows_progress(contract, capsys):
    call_command("health_recompute")
    out = capsys.readouterr().out
    assert "1 of 1 customers scored" in out
    assert "Health scores recomputed: 1" in out
    assert CustomerHealth.objects.get(pk=contract.customer_id).score == 100


def test_on_an_existing_database_the_command_places_the_follower_at_the_sealed_end(contract):
    audit_seal_pending()
    end = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    call_command("health_recompute")  # the upgrade step (docs/operations.md)
    assert HealthFollowCursor.objects.get().last_seq == end
    # The follower goes on from there: only what the recompute itself audited is read.
    audit_seal_pending()
    report = health_follow()
    assert report.customers == 0
    assert report.last_seq > end


def test_the_command_scores_one_customer_and_refuses_an_unknown_one(contract, customer):
    call_command("health_recompute", "--customer", str(contract.customer_id))
    assert list(CustomerHealth.objects.values_list("pk", flat=True)) == [contract.customer_id]
    with pytest.raises(CommandError, match="no customer with id 999999"):
        call_command("health_recompute", "--customer", "999999")


def test_the_demo_customers_have_scores_once_loaded():
    demo_data_load()
    assert Customer.objects.exists()
    assert CustomerHealth.objects.count() == Customer.objects.count()
