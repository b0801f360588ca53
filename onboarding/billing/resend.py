"""A charge the gateway never received is sent again at once, never told as a failure.

Payments' reconciler settles an attempt the gateway has no record of as failed, code
`not_received`: our process died before sending it (a bill run killed mid-batch) or the request
was lost on the way. Nothing was charged and nothing is wrong with the card, so billing neither
tells the customer nor books a dunning retry: in the transaction that applies the answer it
reserves the invoice's next attempt (a new key, `invoice:<number>:attempt:<n+1>`), audited
`invoice.payment_resent`, and charging.py sends it once that commits (if the sender dies first,
the invoice is PROCESSING and the next bill run sends it with that key).

Bounded: once an invoice has had BILLING_NOT_RECEIVED_RESENDS attempts the gateway never
received, the next one is a plain failure (the customer's notice, dunning) and an admin is alerted
(`payment_not_received`): the provider is not being reached, and a person should look.
"""

from collections import Counter
from datetime import datetime

from django.conf import settings

from onboarding.alerts.services import admin_alert_raise
from onboarding.audit.bulk import AuditRow
from onboarding.billing import events
from onboarding.billing.models import Invoice, PaymentState
from onboarding.payments.gateways.base import NOT_RECEIVED
from onboarding.payments.models import PaymentAttempt, PaymentStatus


def never_received_counts(numbers: list[str]) -> Counter[str]:
    """How many attempts of each invoice (by number) the gateway never received."""
    return Counter(
        PaymentAttempt.objects.filter(
            invoice_reference__in=numbers, status=PaymentStatus.FAILED, code=NOT_RECEIVED
        ).values_list("invoice_reference", flat=True)
    )


def resend_allowed(never_received: int) -> bool:
    """Whether an invoice with this many never-received attempts gets one more, at once."""
    return never_received <= settings.BILLING_NOT_RECEIVED_RESENDS


def resend_reserve(invoice: Invoice, *, now: datetime) -> AuditRow:
    """Make the next attempt the invoice's, in memory (the caller saves and sends it); its
    source stays, so a real failure of the resend counts in dunning as the lost one would have."""
    lost = invoice.attempt_count
    invoice.attempt_count += 1
    invoice.attempt_reserved_at = now
    invoice.payment_state = PaymentState.PROCESSING
    return events.invoice_payment_resent_row(invoice=invoice, lost_attempt=lost)


def resends_exhausted_alert(invoice: Invoice, *, never_received: int) -> None:
    """Alert an admin that an invoice's charges keep not reaching the provider."""
    admin_alert_raise(
        reason="payment_not_received",
        message=(
            f"{never_received} charges of invoice {invoice.number} ({invoice.total}) never reached "
            "the payment provider; it is no longer sent again at once but handled as a failed "
            "payment (the customer is told, dunning retries it). Check the connection to the "
            "provider."
        ),
        target=invoice,
        customer_id=invoice.customer_id,
        context={"attempt": invoice.attempt_count, "never_received": never_received},
        severity="error",
    )
