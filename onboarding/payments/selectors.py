from onboarding.accounts.models import Customer
from onboarding.payments.models import PaymentMethod, PaymentMethodStatus


def payment_method_active(*, customer: Customer) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(
        customer=customer, status=PaymentMethodStatus.ACTIVE
    ).first()
