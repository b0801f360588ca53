"""What contracts do with other apps' outbox events (registered in apps.py, delivered by the
relay inside the transaction that records the delivery)."""

from onboarding.contracts.amendments import contract_follow_subscription
from onboarding.contracts.issuing import issue_task_key
from onboarding.contracts.tasks import contract_issue_for_subscription_task
from onboarding.notifications.models import OutboxMessage
from onboarding.notifications.registry import DeliveryBatch
from onboarding.worker.services import task_enqueue_once


def invoice_first_paid(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """A subscription's first invoice is paid: queue the issue of its first contract.

    The task is queued in the relay's transaction, so it exists if and only if the delivery is
    recorded; its key is the one the periodic sweep uses, so the two never queue it twice, and
    the worker retries the issue as any task.
    """
    subscription_id = int(message.payload["subscription_id"])
    task_enqueue_once(
        contract_issue_for_subscription_task,
        key=issue_task_key(subscription_id),
        kwargs={"subscription_id": subscription_id},
    )


def subscription_terms_changed(message: OutboxMessage, batch: DeliveryBatch) -> None:
    """Billing changed a subscription's plan, quantity or cycle: the contract in force is
    amended to the new terms (amendments.py), in the relay's transaction."""
    payload = message.payload
    contract_follow_subscription(
        subscription_id=int(payload["subscription_id"]), key=message.dedupe_key[-60:]
    )
