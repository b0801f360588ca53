"""The failure boundary a service declares once: the person's refusals pass through untouched,
anything else is reported once (alert, audit entry) and turned into the declared message."""

import pytest
from django.db import transaction

from onboarding.accounts.models import Customer
from onboarding.alerts.failures import FailureNotice, ServiceUnavailable, failure_reported
from onboarding.alerts.models import AdminAlert
from onboarding.audit.models import AuditEntry
from onboarding.core.errors import Conflict
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BROKE = FailureNotice("boundary_probe_failed", "That could not be done; our team has been told.")
OUTER = FailureNotice("boundary_outer_failed", "The outer action could not be done.")


@failure_reported(BROKE, target="customer", context=("actor",))
@transaction.atomic
def rename_then_break(*, customer: Customer, actor, error: Exception) -> None:
    Customer.objects.filter(pk=customer.pk).update(company="Half Written Ltd")
    raise error


@failure_reported(OUTER, target="customer")
@transaction.atomic
def outer_calls_inner(*, customer: Customer, actor) -> None:
    rename_then_break(customer=customer, actor=actor, error=RuntimeError("disk on fire"))


@pytest.fixture
def customer():
    return UserFactory().customer


def test_an_unexpected_failure_is_reported_once_and_told_in_the_declared_words(customer):
    with pytest.raises(ServiceUnavailable) as told:
        rename_then_break(customer=customer, actor=customer.user, error=RuntimeError("boom"))
    assert told.value.message == BROKE.message
    alert = AdminAlert.objects.get(reason="boundary_probe_failed")
    assert alert.customer_id == customer.pk
    assert alert.context["actor"] == str(customer.user)  # named arguments ride along
    entry = AuditEntry.objects.get(action="failure.boundary_probe_failed")
    assert (entry.customer_id, entry.actor_id) == (customer.pk, customer.user.pk)
    # The failed work rolled back before the report was written.
    customer.refresh_from_db()
    assert customer.company != "Half Written Ltd"


def test_a_refusal_passes_through_unreported(customer):
    with pytest.raises(Conflict):
        rename_then_break(customer=customer, actor=None, error=Conflict("Not in this state."))
    assert not AdminAlert.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="failure.").exists()


def test_nested_boundaries_report_once_in_the_outermost_words(customer):
    with pytest.raises(ServiceUnavailable) as told:
        outer_calls_inner(customer=customer, actor=customer.user)
    assert told.value.message == OUTER.message
    assert list(AdminAlert.objects.values_list("reason", flat=True)) == ["boundary_outer_failed"]
    assert AuditEntry.objects.filter(action__startswith="failure.").count() == 1
