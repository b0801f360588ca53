"""The buyer's chosen plan on every page between "Buy" and the purchase (see billing.intent).

{% purchase_intent as intent %}  the PurchaseIntent itself (or None), for headings.
{% purchase_banner %}  "You are buying Business, billed quarterly", with a way back to it.
"""

from django import template

from onboarding.billing.intent import PurchaseIntent, intent_of

register = template.Library()


@register.inclusion_tag("billing/_purchase_banner.html", takes_context=True)
def purchase_banner(context) -> dict:
    request = context.get("request")
    intent = intent_of(request)
    signed_in = bool(request is not None and request.user.is_authenticated)
    return {"intent": intent, "signed_in": signed_in}


@register.simple_tag(takes_context=True)
def purchase_intent(context) -> PurchaseIntent | None:
    return intent_of(context.get("request"))
