"""The lifecycle: one table of moves, computed age and expiry, reminders once each, renewal,
expiry and cancellation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.audit.models import AuditEntry
from onboarding.billing.models import Subscription
from onboarding.contracts.acknowledgement import contract_acknowledge
from onboarding.contracts.delivery import contract_deliver
from onboarding.contracts.documents import contract_document_generate
from onboarding.contracts.lifecycle import (
    contract_cancel,
    contract_renew,
    contracts_lifecycle_advance,
)
from onboarding.contracts.models import (
    CONTRACT_MOVES,
    Contract,
    ContractReminder,
    ContractState,
)
from onboarding.contracts.tasks import contracts_lifecycle_task
from onboarding.core.errors import Conflict
from onboarding.notifications.models import Notification
from tests.factories import staff_user
from tests.worker.conftest import run_worker_in_process

pytestmark = pytest.mark.django_db


def _acknowledge(contract: Contract) -> Contract:
    document = contract.documents.get()
    contract_acknowledge(
        contract=contract,
        actor=contract.customer.user,
        typed_name="Ada Lovelace",
        document_sha256=document.sha256,
        client_ip="127.0.0.1",
        user_agent="test",
    )
    return Contract.objects.get(pk=contract.pk)


def _ends_in(contract: Contract, delta: timedelta) -> Contract:
    # Stand the contract at a point in its term (a test arrangement of dates, not a workflow).
    end = timezone.now() + delta
    Contract.objects.filter(pk=contract.pk).update(
        term_start=end - timedelta(days=365), term_end=end
    )
    return Contract.objects.get(pk=contract.pk)


def test_every_state_has_its_moves_in_the_one_table():
    assert set(CONTRACT_MOVES) == set(ContractState.values)
    assert CONTRACT_MOVES[ContractState.RENEWED] == frozenset()
    assert CONTRACT_MOVES[ContractState.CANCELLED] == frozenset()


def test_an_illegal_move_is_refused(delivered):
    with pytest.raises(Conflict, match="sent cannot become draft"):
        delivered.move_to(ContractState.DRAFT)


def test_age_and_days_left_are_computed_not_stored(delivered):
    Contract.objects.filter(pk=delivered.pk).update(issued_at=timezone.now() - timedelta(days=10))
    contract = _ends_in(delivered, timedelta(days=40))
    assert contract.age_days == 10
    assert contract.days_left() == 40
    assert not {"age", "days_left"} & {f.name for f in Contract._meta.get_fields()}


def test_a_reminder_goes_once_to_the_customer_and_every_sysops_even_when_run_twice(delivered):
    first, second = staff_user(), staff_user()
    contract = _ends_in(_acknowledge(delivered), timedelta(days=25))

    contracts_lifecycle_advance()
    contracts_lifecycle_advance()

    assert list(ContractReminder.objects.values_list("days_before", flat=True)) == [30]
    assert Notification.objects.filter(kind="contract_expiry_reminder").count() == 1
    sysops_notes = Notification.objects.filter(kind="contract_expiry_reminder_sysops")
    assert sorted(sysops_notes.values_list("recipient_id", flat=True)) == [first.pk, second.pk]
    assert all(note.channels == ["in_app"] for note in sysops_notes)
    contract.refresh_from_db()
    assert contract.state == ContractState.EXPIRING


def test_each_offset_is_reminded_once_as_the_end_comes_closer(delivered):
    staff_user()
    contract = _ends_in(_acknowledge(delivered), timedelta(days=45))
    contracts_lifecycle_advance()
    contracts_lifecycle_advance(now=contract.term_end - timedelta(days=20))
    contracts_lifecycle_advance(now=contract.term_end - timedelta(days=5))
    contracts_lifecycle_advance(now=contract.term_end - timedelta(days=4))
    assert sorted(ContractReminder.objects.values_list("days_before", flat=True)) == [7, 30, 60]
    assert Notification.objects.filter(kind="contract_expiry_reminder").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_scheduled_runs_of_the_periodic_task_send_each_reminder_once(media, subscription):
    from tests.contracts.conftest import deliver_inline

    staff_user()
    contract = _ends_in(_acknowledge(deliver_inline(subscription)), timedelta(days=6))
    contracts_lifecycle_task.enqueue()
    contracts_lifecycle_task.enqueue()

    run_worker_in_process()

    assert list(
        ContractReminder.objects.filter(contract=contract).values_list("days_before", flat=True)
    ) == [7]
    assert Notification.objects.filter(kind="contract_expiry_reminder").count() == 1
    assert Notification.objects.filter(kind="contract_expiry_reminder_sysops").count() == 1


def test_the_reminder_days_are_configurable(settings, delivered):
    settings.CONTRACT_EXPIRY_REMINDER_DAYS = [14]
    _ends_in(delivered, timedelta(days=20))
    contracts_lifecycle_advance()
    assert not ContractReminder.objects.exists()
    contracts_lifecycle_advance(now=timezone.now() + timedelta(days=7))
    assert list(ContractReminder.objects.values_list("days_before", flat=True)) == [14]


def test_a_term_that_ends_while_billing_continues_renews_with_a_new_contract(delivered):
    old = _ends_in(_acknowledge(delivered), timedelta(seconds=-1))

    report = contracts_lifecycle_advance()

    old.refresh_from_db()
    assert report.renewed == 1
    assert old.state == ContractState.RENEWED
    following = old.next_term
    assert following.term_index == 2
    assert following.term_start == old.term_end
    assert following.number != old.number and following.number
    assert following.state == ContractState.ISSUED  # its own document follows in the background
    assert AuditEntry.objects.filter(action="contract.renewed", object_id=str(old.pk)).exists()


def test_renewing_twice_gives_one_next_term(delivered, sysops):
    first = contract_renew(contract=delivered, actor=sysops)
    again = contract_renew(contract=delivered, actor=sysops)
    assert first.pk == again.pk
    assert Contract.objects.filter(subscription=delivered.subscription).count() == 2


def test_a_term_whose_subscription_ends_expires(delivered):
    Subscription.objects.filter(pk=delivered.subscription_id).update(cancel_at_period_end=True)
    old = _ends_in(delivered, timedelta(seconds=-1))

    report = contracts_lifecycle_advance()

    old.refresh_from_db()
    assert (report.expired, report.renewed) == (1, 0)
    assert old.state == ContractState.EXPIRED
    assert Contract.objects.count() == 1


def test_without_auto_renewal_a_term_expires(settings, delivered):
    settings.CONTRACT_AUTO_RENEW = False
    _ends_in(delivered, timedelta(seconds=-1))
    contracts_lifecycle_advance()
    delivered.refresh_from_db()
    assert delivered.state == ContractState.EXPIRED


def test_an_acknowledged_renewal_becomes_active_when_its_term_starts(delivered, sysops):
    following = contract_renew(contract=delivered, actor=sysops)
    contract_document_generate(contract=following)
    contract_deliver(contract=following)
    following = _acknowledge(Contract.objects.get(pk=following.pk))
    assert following.state == ContractState.ACKNOWLEDGED  # the term has not started yet

    contracts_lifecycle_advance(now=following.term_start + timedelta(minutes=1))

    following.refresh_from_db()
    assert following.state == ContractState.ACTIVE


def test_the_customer_cancels_and_billing_stops_at_the_end_of_the_paid_period(
    buyer_client, delivered
):
    response = buyer_client.post(
        reverse("contracts:cancel", args=[delivered.pk]),
        {"cancel-confirm": "on", "cancel-reason": "Moving on"},
    )

    assert response.status_code == 302
    delivered.refresh_from_db()
    subscription = Subscription.objects.get(pk=delivered.subscription_id)
    assert delivered.state == ContractState.CANCELLED
    assert subscription.cancel_at_period_end is True
    assert delivered.service_ends_at == subscription.current_period_end
    assert AuditEntry.objects.filter(action="subscription.cancel_at_period_end").exists()
    assert AuditEntry.objects.get(action="contract.cancelled").message == "Moving on"


def test_a_cancelled_contract_cannot_be_renewed_or_acknowledged(delivered, sysops):
    contract_cancel(contract=delivered, actor=sysops)
    with pytest.raises(Conflict):
        contract_renew(contract=delivered, actor=sysops)
    with pytest.raises(Conflict):
        _acknowledge(delivered)
    _ends_in(delivered, timedelta(days=5))
    contracts_lifecycle_advance()
    assert not ContractReminder.objects.exists()


def test_a_contract_ends_with_a_subscription_billing_cancelled(delivered):
    ended_at = timezone.now() - timedelta(hours=1)
    Subscription.objects.filter(pk=delivered.subscription_id).update(
        status="cancelled", cancelled_at=ended_at
    )

    report = contracts_lifecycle_advance()

    delivered.refresh_from_db()
    assert report.cancelled == 1
    assert delivered.state == ContractState.CANCELLED
    assert delivered.service_ends_at == ended_at
    assert AuditEntry.objects.get(action="contract.cancelled").message == (
        "the subscription was cancelled"
    )
