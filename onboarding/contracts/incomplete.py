"""Contract incomplete: a generation or delivery that could not finish.

The task that failed reports it here after its work rolled back, then raises so the worker
retries it (tasks.py).
"""

import logging

from django.db import transaction

from onboarding.alerts.failures import report_failure
from onboarding.contracts.models import Contract
from onboarding.contracts.transitions import contract_locked
from onboarding.journey.models import Step
from onboarding.journey.services import journey_step_fail

logger = logging.getLogger(__name__)

INCOMPLETE_REASON = "contract_incomplete"


class ContractIncomplete(Exception):
    """Generation or delivery cannot finish yet (no template, no stored document); the task
    raising it is retried, and the customer's journey says "Contract incomplete"."""


def contract_incomplete_report(*, contract: Contract, stage: str, error: BaseException) -> None:
    """Generation or delivery failed: note it on the contract, mark the journey step, alert an
    admin and audit (report_failure). Call it after the failed work rolled back; the task then
    raises so the worker retries it."""
    detail = f"{stage}: {error.__class__.__name__}: {error}"[:500]
    try:
        with transaction.atomic():
            locked = contract_locked(contract=contract)
            locked.last_error = detail
            locked.failures += 1
            locked.save(update_fields=["last_error", "failures", "updated_at"])
            journey_step_fail(
                customer=locked.customer,
                step=Step.CONTRACT,
                reason="Contract incomplete: we are preparing it again and our team has been told.",
            )
    except Exception:  # the database may be what failed; the alert below still tries
        logger.exception("could not note the failure on contract %s", contract.pk)
    report_failure(
        reason=INCOMPLETE_REASON,
        user_message=f"Contract incomplete: {stage} of contract {contract} failed",
        error=error,
        target=contract,
        customer_id=contract.customer_id,
        context={
            "stage": stage,
            "contract": contract.number,
            "attempt_failures": contract.failures + 1,
        },
    )
