"""Payment gateways: one interface, two adapters (sandbox, stripe), chosen by PAYMENT_GATEWAY."""

from django.conf import settings
from django.utils.module_loading import import_string

from onboarding.payments.gateways.base import PaymentGateway

_ADAPTERS = {
    "sandbox": "onboarding.payments.gateways.sandbox.SandboxGateway",
    "stripe": "onboarding.payments.gateways.stripe.StripeGateway",
}


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = name or settings.PAYMENT_GATEWAY
    try:
        path = _ADAPTERS[name]
    except KeyError as exc:
        raise LookupError(
            f"unknown payment gateway {name!r}; choose one of {sorted(_ADAPTERS)}"
        ) from exc
    return import_string(path)()
