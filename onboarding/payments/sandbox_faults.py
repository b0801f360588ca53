"""Faults armed on demand in the sandbox gateway, for tests and demos of the unhappy paths."""

from django.conf import settings
from django.db import transaction

from onboarding.core.errors import DomainError
from onboarding.payments.events import sandbox_fault_armed
from onboarding.payments.models import SandboxFault

SANDBOX_FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "tokenize": ("timeout", "card_declined", "insufficient_funds", "processing_error"),
    "charge": (
        "timeout",
        "timeout_after_charge",
        "stall",
        "card_declined",
        "insufficient_funds",
        "processing_error",
        # Declines by Stripe's codes (payments/declines.py): hard, then soft.
        "lost_card",
        "stolen_card",
        "expired_card",
        "do_not_honor/do_not_try_again",
        "do_not_honor",
        "try_again_later",
    ),
    "lookup": ("timeout",),
}


def sandbox_fault_arm(*, operation: str, kind: str, times: int = 1) -> SandboxFault:
    """Make the sandbox gateway's next `times` calls of `operation` fail as `kind`.

    "timeout" (no answer, nothing done), "timeout_after_charge" (the card is charged but the
    answer is lost), "stall" (the provider hangs before it records anything, then times out:
    time to kill the caller mid-charge), or a decline code.
    """
    if settings.PAYMENT_GATEWAY != "sandbox":
        raise DomainError("Faults can only be armed on the sandbox gateway.")
    if kind not in SANDBOX_FAULT_KINDS.get(operation, ()):
        raise DomainError(f"Choose an operation and kind from {SANDBOX_FAULT_KINDS}.", field="kind")
    if not 1 <= times <= 1000:
        raise DomainError("Arm a fault for 1 to 1000 calls.", field="times")
    with transaction.atomic():
        fault = SandboxFault.objects.create(operation=operation, kind=kind, remaining=times)
        sandbox_fault_armed(fault=fault)
    return fault
