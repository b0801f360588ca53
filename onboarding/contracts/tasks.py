"""Background work for contracts: thin wrappers around the stage modules (issuing.py,
documents.py, delivery.py, lifecycle.py) and the certificate of acceptance (certificates.py).

A generation or delivery that raises is "Contract incomplete": the failure is noted on the
contract, the journey step and an admin alert (contract_incomplete_report), and the exception
is raised again so the worker retries the task with backoff (docs/worker.md). A business refusal
(a DomainError, e.g. the subscription was cancelled meanwhile) is final and is not retried.
"""

import logging

from django_tasks import task

from onboarding.billing.models import Subscription

# documents.py, certificates.py and issuing.py import this module too (to queue its tasks):
# module imports only.
from onboarding.contracts import certificates, delivery, documents, incomplete, issuing, lifecycle
from onboarding.contracts.models import Contract
from onboarding.core.errors import DomainError

logger = logging.getLogger(__name__)


@task()
def contract_issue_for_subscription_task(subscription_id: int) -> str | None:
    """Issue the first contract of a subscription (queued when billing publishes its first paid
    invoice: subscribers.py, and by the periodic sweep). Idempotent: a second run returns the
    same contract's number."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        logger.warning("no subscription %s: no contract to issue", subscription_id)
        return None
    try:
        contract = issuing.contract_issue_for_subscription(subscription=subscription)
    except DomainError as refusal:
        logger.info("contract not issued for subscription %s: %s", subscription_id, refusal)
        return None
    return contract.number


def _run_stage(contract_id: int, stage: str, work) -> str | None:
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        logger.warning("no contract %s: nothing to %s", contract_id, stage)
        return None
    try:
        result = work(contract=contract)
    except DomainError as refusal:
        logger.info("contract %s %s refused: %s", contract_id, stage, refusal)
        return None
    except Exception as error:
        incomplete.contract_incomplete_report(contract=contract, stage=stage, error=error)
        raise
    return str(result) if result is not None else None


@task()
def contract_document_generate_task(contract_id: int) -> str | None:
    """Render and store the contract's wanted document version; queues its delivery."""
    return _run_stage(contract_id, "generation", documents.contract_document_generate)


@task()
def contract_deliver_task(contract_id: int) -> str | None:
    """Notice to the preferred inbox and the PDF to the verified address."""
    return _run_stage(contract_id, "delivery", delivery.contract_deliver)


@task()
def contract_certificate_generate_task(acceptance_id: int) -> str | None:
    """Render and store the certificate of an acceptance (queued when it is acknowledged, and
    again by a download that finds none). A failure is alerted, then raised to be retried."""
    try:
        certificate = certificates.contract_certificate_generate(acceptance_id=acceptance_id)
    except Exception as error:
        certificates.certificate_generation_failed(acceptance_id=acceptance_id, error=error)
        raise
    return certificate.storage_path if certificate is not None else None


@task()
def contracts_issue_missing_task() -> int:
    """Periodic (WORKER_PERIODIC_TASKS): queue first contracts that are due and missing."""
    return issuing.contracts_issue_missing()


@task()
def contracts_lifecycle_task() -> dict:
    """Periodic (WORKER_PERIODIC_TASKS): activate, mark expiring, remind, renew or expire."""
    report = lifecycle.contracts_lifecycle_advance()
    return {
        "cancelled": report.cancelled,
        "activated": report.activated,
        "expiring": report.expiring,
        "reminded": report.reminded,
        "renewed": report.renewed,
        "expired": report.expired,
        "failed": report.failed,
    }
