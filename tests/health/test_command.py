"""manage.py health_recompute, and the demo data scored at the end of its load."""

import pytest
from django.core.management import CommandError, call_command

from onboarding.accounts.models import Customer
from onboarding.demo.services import demo_data_load
from onboarding.health.models import CustomerHealth

pytestmark = pytest.mark.django_db


def test_the_command_scores_every_customer_and_shows_progress(contract, capsys):
    call_command("health_recompute")
    out = capsys.readouterr().out
    assert "1 of 1 customers scored" in out
    assert "Health scores recomputed: 1" in out
    assert CustomerHealth.objects.get(pk=contract.customer_id).score == 100


def test_the_command_scores_one_customer_and_refuses_an_unknown_one(contract, customer):
    call_command("health_recompute", "--customer", str(contract.customer_id))
    assert list(CustomerHealth.objects.values_list("pk", flat=True)) == [contract.customer_id]
    with pytest.raises(CommandError, match="no customer with id 999999"):
        call_command("health_recompute", "--customer", "999999")


def test_the_demo_customers_have_scores_once_loaded():
    demo_data_load()
    assert Customer.objects.exists()
    assert CustomerHealth.objects.count() == Customer.objects.count()
