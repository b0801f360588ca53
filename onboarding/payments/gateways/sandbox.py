"""The sandbox gateway: Stripe's test cards, kept in tables that stand for the provider's side.

4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined; 4000 0000 0000 0069 is expired;
4000 0000 0000 0119 fails with a processing error. These are accepted on file but their charges
are declined: 4000 0000 0000 9995 (insufficient_funds), 4000 0000 0000 9987 (lost_card),
4000 0000 0000 9979 (stolen_card) and 4000 0000 0000 0341 (card_declined). A card on file whose
expiry has passed is declined with expired_card. Any other Luhn-valid number with a future expiry
succeeds.

Strong Customer Authentication, as Stripe documents its test cards: 4000 0025 0000 3155 asks for
authentication when it is set up, and its off-session charges then succeed (a charge of one never
set up with authentication asks for it); 4000 0027 6000 3184 asks for authentication on every
charge; 4000 0000 0000 3220 (3-D Secure 2) asks for it at setup and on every charge. A setup that
needs it raises SetupActionRequired and the card waits, unusable, for `setup_action_complete`; a
charge that needs it is REQUIRES_ACTION until `action_complete`, the sandbox's stand-in for the
bank's page, is approved.
Only a token, the brand, the last four digits and the expiry are kept, never the number.
Faults (timeouts, declines, failures) can be armed on demand with `sandbox_fault_arm` for tests and
demos of the unhappy paths.
"""

import secrets
import time

from django.db import IntegrityError, transaction

from onboarding.core.bulk import instances_insert
from onboarding.core.money import Money
from onboarding.payments.cards import (
    brand_of,
    card_expired,
    expiry_errors,
    is_ascii_digits,
    luhn_valid,
    normalize_number,
)
from onboarding.payments.gateways.base import (
    ActionStart,
    CardDetails,
    CardToken,
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayError,
    GatewayTimeout,
    RefundResult,
    SetupActionRequired,
)
from onboarding.payments.models import SandboxCard, SandboxCharge, SandboxFault, SandboxRefund

# Test numbers and what they do, as Stripe documents them.
_REFUSED_AT_SETUP = {
    "4000000000000002": ("card_declined", "Your card was declined. Try another card."),
    "4000000000000069": ("expired_card", "Your card has expired. Try another card."),
    "4000000000000119": (
        "processing_error",
        "The card could not be checked because of a processing error. Try again in a moment.",
    ),
}
# Accepted on file; every charge is declined with this code.
_CHARGE_BEHAVIOUR = {
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4000000000000341": "card_declined",
    "4000002760003184": "auth_always",
}
# Cards whose setup needs the customer's authentication: the behaviour while the setup waits for
# it, and the behaviour once it is confirmed.
_SETUP_NEEDS_AUTH = {
    "4000002500003155": ("auth_setup_pending", "ok"),
    "4000000000003220": ("3ds2_setup_pending", "auth_always"),
}
_SETUP_CONFIRMED = dict(_SETUP_NEEDS_AUTH.values())
# Behaviours whose every charge asks for authentication (a 3155 never set up with it included).
_CHARGE_NEEDS_AUTH = {"auth_always", "auth_setup_pending", "3ds2_setup_pending"}
AUTHENTICATION_REQUIRED = "authentication_required"


def _charge_answer(behaviour: str, exp_month: int, exp_year: int) -> tuple[ChargeStatus, str]:
    """What a charge of a card on file gets, faults aside."""
    if card_expired(exp_month, exp_year):
        return ChargeStatus.DECLINED, "expired_card"
    if behaviour in _CHARGE_NEEDS_AUTH:
        return ChargeStatus.REQUIRES_ACTION, AUTHENTICATION_REQUIRED
    if behaviour != "ok":
        return ChargeStatus.DECLINED, behaviour
    return ChargeStatus.SUCCEEDED, ""


# How long an armed "stall" holds a charge before it times out, having recorded nothing: long
# enough for a test or a demo to kill the caller mid-charge.
STALL_SECONDS = 30


def _consume_fault(operation: str) -> str | None:
    """Take one armed fault for this operation, if any (a row per remaining occurrence)."""
    with transaction.atomic():
        fault = (
            SandboxFault.objects.select_for_update()
            .filter(operation=operation, remaining__gt=0)
            .order_by("id")
            .first()
        )
        if fault is None:
            return None
        fault.remaining -= 1
        fault.save(update_fields=["remaining"])
        return fault.kind


class SandboxGateway:
    name = "sandbox"

    def tokenize_card(self, *, card: CardDetails, customer_reference: str) -> CardToken:
        digits = normalize_number(card.number)
        if not is_ascii_digits(digits) or not 12 <= len(digits) <= 19:
            raise GatewayError(
                "invalid_number", "Enter the card number: 12 to 19 digits.", field="number"
            )
        if not luhn_valid(digits):
            raise GatewayError(
                "invalid_number",
                "That card number is not valid. Check it and try again.",
                field="number",
            )
        problems = expiry_errors(card.exp_month, card.exp_year)
        if problems:
            field, message = next(iter(problems.items()))
            raise GatewayError("invalid_expiry", message, field=field)
        brand = brand_of(digits)
        cvc_length = 4 if brand == "amex" else 3
        if not (is_ascii_digits(card.cvc) and len(card.cvc) == cvc_length):
            raise GatewayError(
                "invalid_cvc", f"Enter the {cvc_length}-digit security code.", field="cvc"
            )
        fault = _consume_fault("tokenize")
        if fault == "timeout":
            raise GatewayTimeout()
        if fault is not None:
            raise GatewayError(
                fault, "The card was refused by the payment provider.", field="number"
            )
        if digits in _REFUSED_AT_SETUP:
            code, message = _REFUSED_AT_SETUP[digits]
            raise GatewayError(code, message, field="number")
        pending_setup = _SETUP_NEEDS_AUTH.get(digits, (None,))[0]
        stored = SandboxCard.objects.create(
            token=f"tok_sbx_{secrets.token_hex(12)}",
            customer_reference=customer_reference,
            behaviour=pending_setup or _CHARGE_BEHAVIOUR.get(digits, "ok"),
            brand=brand,
            last4=digits[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )
        if pending_setup:
            raise SetupActionRequired(stored.token)
        return self._token_of(stored)

    def attach_token(self, *, token: str, customer_reference: str) -> CardToken:
        stored = SandboxCard.objects.filter(token=token).first()
        if stored is None or stored.customer_reference != customer_reference:
            raise GatewayError("invalid_token", "That card could not be found. Enter it again.")
        if stored.behaviour in _SETUP_CONFIRMED:
            raise GatewayError(
                AUTHENTICATION_REQUIRED, "Confirm the card with your bank first.", field="number"
            )
        return self._token_of(stored)

    def setup_action_complete(
        self, *, reference: str, customer_reference: str, approve: bool
    ) -> None:
        with transaction.atomic():
            stored = (
                SandboxCard.objects.select_for_update()
                .filter(token=reference, customer_reference=customer_reference)
                .first()
            )
            if stored is None:
                raise GatewayError("invalid_token", "That card could not be found. Enter it again.")
            if stored.behaviour not in _SETUP_CONFIRMED:
                return  # confirmed already: the same answer again changes nothing
            if not approve:
                raise GatewayError(
                    "setup_authentication_failed",
                    "The card was not confirmed with your bank, so it was not saved.",
                    field="number",
                )
            stored.behaviour = _SETUP_CONFIRMED[stored.behaviour]
            stored.save(update_fields=["behaviour"])

    def action_start(self, *, reference: str) -> ActionStart:
        return ActionStart()  # the sandbox's confirmation step needs nothing from the browser

    def action_complete(self, *, reference: str, approve: bool) -> ChargeResult:
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().filter(charge_id=reference).first()
            if charge is None:
                raise GatewayError("no_such_charge", "That payment could not be found.")
            if charge.status == ChargeStatus.REQUIRES_ACTION and approve:
                charge.status, charge.code = ChargeStatus.SUCCEEDED, ""
                charge.save(update_fields=["status", "code"])
            return charge.result()

    @staticmethod
    def _token_of(stored: SandboxCard) -> CardToken:
        return CardToken(
            token=stored.token,
            brand=stored.brand,
            last4=stored.last4,
            exp_month=stored.exp_month,
            exp_year=stored.exp_year,
        )

    def charge(
        self, *, token: str, amount: Money, idempotency_key: str, description: str
    ) -> ChargeResult:
        previous = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        if previous is not None:
            return previous.result()  # the same key always gets the same answer
        fault = _consume_fault("charge")
        if fault == "timeout_after_charge":
            # The provider charged the card but the answer never came back.
            self._record_charge(token, amount, idempotency_key, ChargeStatus.SUCCEEDED, "")
            raise GatewayTimeout()
        if fault == "stall":
            time.sleep(STALL_SECONDS)  # a provider that hangs, then drops the request
            raise GatewayTimeout()
        if fault == "timeout":
            raise GatewayTimeout()
        card = SandboxCard.objects.filter(token=token).first()
        if card is None:
            status, code = ChargeStatus.FAILED, "invalid_token"
        elif fault is not None:
            status, code = (
                (ChargeStatus.DECLINED, fault)
                if fault != "processing_error"
                else (ChargeStatus.FAILED, fault)
            )
        else:
            status, code = _charge_answer(card.behaviour, card.exp_month, card.exp_year)
        return self._record_charge(token, amount, idempotency_key, status, code).result()

    def charge_many(self, *, charges: list[ChargeRequest]) -> list[ChargeResult | GatewayError]:
        """`charge` for each, with a few queries per batch instead of a few per charge."""
        if SandboxFault.objects.filter(operation="charge", remaining__gt=0).exists():
            return [self._charge_or_error(c) for c in charges]  # faults are taken in order
        keys = [c.idempotency_key for c in charges]
        previous = {
            row.idempotency_key: row
            for row in SandboxCharge.objects.filter(idempotency_key__in=keys)
        }
        cards = {
            token: (behaviour, exp_month, exp_year)
            for token, behaviour, exp_month, exp_year in SandboxCard.objects.filter(
                token__in={c.token for c in charges}
            ).values_list("token", "behaviour", "exp_month", "exp_year")
        }
        new = []
        for c in charges:
            if c.idempotency_key in previous:
                continue
            if c.token not in cards:
                status, code = ChargeStatus.FAILED, "invalid_token"
            else:
                status, code = _charge_answer(*cards[c.token])
            new.append(
                SandboxCharge(
                    charge_id=f"ch_sbx_{secrets.token_hex(12)}",
                    idempotency_key=c.idempotency_key,
                    token=c.token,
                    amount_minor=c.amount.amount_minor,
                    currency=c.amount.currency,
                    status=status,
                    code=code,
                )
            )
        try:
            with transaction.atomic():
                instances_insert(new)
        except IntegrityError:
            # A concurrent request used one of these keys: answer one by one, by key.
            return [self._charge_or_error(c) for c in charges]
        previous.update((row.idempotency_key, row) for row in new)
        return [previous[c.idempotency_key].result() for c in charges]

    def _charge_or_error(self, c: ChargeRequest) -> ChargeResult | GatewayError:
        try:
            return self.charge(
                token=c.token,
                amount=c.amount,
                idempotency_key=c.idempotency_key,
                description=c.description,
            )
        except GatewayError as error:
            return error

    @staticmethod
    def _record_charge(
        token: str, amount: Money, idempotency_key: str, status: ChargeStatus, code: str
    ) -> SandboxCharge:
        try:
            with transaction.atomic():
                return SandboxCharge.objects.create(
                    charge_id=f"ch_sbx_{secrets.token_hex(12)}",
                    idempotency_key=idempotency_key,
                    token=token,
                    amount_minor=amount.amount_minor,
                    currency=amount.currency,
                    status=status,
                    code=code,
                )
        except IntegrityError:
            # A concurrent request with the same key won: answer what it recorded.
            return SandboxCharge.objects.get(idempotency_key=idempotency_key)

    def lookup_charge(self, *, idempotency_key: str) -> ChargeResult | None:
        if _consume_fault("lookup") == "timeout":
            raise GatewayTimeout()
        charge = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return charge.result() if charge is not None else None

    def refund(
        self, *, gateway_charge_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        charge = SandboxCharge.objects.filter(
            charge_id=gateway_charge_id, status=ChargeStatus.SUCCEEDED
        ).first()
        if charge is None:
            raise GatewayError("no_such_charge", "That payment cannot be refunded.")
        existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            refunded = sum(charge.refunds.values_list("amount_minor", flat=True))
            if refunded + amount.amount_minor > charge.amount_minor:
                raise GatewayError(
                    "amount_too_large", "The refund is larger than what is left of the payment."
                )
            existing = SandboxRefund.objects.create(
                refund_id=f"re_sbx_{secrets.token_hex(12)}",
                charge=charge,
                idempotency_key=idempotency_key,
                amount_minor=amount.amount_minor,
            )
        return RefundResult(
            gateway_refund_id=existing.refund_id,
            amount=Money(existing.amount_minor, charge.currency),
        )
