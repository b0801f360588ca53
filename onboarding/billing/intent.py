"""The plan a buyer chose, carried from "Buy" on the pricing page to the purchase itself.

A visitor who clicks "Buy Business" must sign up (or sign in), verify the address, fill in the
profile and add a card before the buy page can confirm anything. The choice travels two ways:

- in the session (`remember`), so the same browser keeps it across every step, and
- as the buy page's address in `next` (`buy_url`), so a verification link opened in a fresh
  browser, or a sign-in page reached by a link, still knows where to go.

`next` is only ever trusted as a local path to the buy page of a plan on sale, in a cycle it is
sold in: anything else (another host, a scheme, an unknown plan) is refused and ignored.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from django.http import HttpRequest
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from onboarding.billing.models import LIVE_STATUSES, Subscription
from onboarding.catalog.models import BillingCycle
from onboarding.catalog.selectors import catalog_on_sale
from onboarding.core.redirects import NEXT_FIELD, requested_next_url

SESSION_KEY = "purchase_intent"
# "billed ...": how each cycle reads after that verb.
# Lazy: written in the language of the page or email that shows it (docs/i18n.md).
BILLED = {
    "monthly": pgettext_lazy("billed ...", "monthly"),
    "quarterly": pgettext_lazy("billed ...", "quarterly"),
    "annual": pgettext_lazy("billed ...", "annually"),
}
_CACHE_ATTR = "_purchase_intent"


@dataclass(frozen=True)
class PurchaseIntent:
    plan_slug: str
    plan_name: str
    cycle: str
    # The currency picked on the pricing page ("" when none was): the first purchase fixes it.
    currency: str = ""

    @property
    def billed(self) -> str:
        return BILLED[self.cycle]

    @property
    def headline(self) -> str:
        return _("You are buying %(plan)s, billed %(billed)s") % {
            "plan": self.plan_name,
            "billed": self.billed,
        }

    def _query(self) -> str:
        query = {"cycle": self.cycle}
        if self.currency:
            query["currency"] = self.currency
        return urlencode(query)

    @property
    def buy_url(self) -> str:
        return f"{reverse('billing:buy', args=[self.plan_slug])}?{self._query()}"

    @property
    def pricing_url(self) -> str:
        return f"{reverse('catalog:pricing')}?{self._query()}"

    def next_query(self) -> str:
        """`?next=<the buy page>`, for a link that must lead back to this purchase."""
        return "?" + urlencode({NEXT_FIELD: self.buy_url})


def intent_for(
    *, plan_slug: str, cycle: str | None, currency: str | None = None
) -> PurchaseIntent | None:
    """The intent to buy `plan_slug` in `cycle`, if that plan is on sale in that cycle; with
    `currency` when the plan is sold in it in that cycle (else no currency: the buy page picks)."""
    if not plan_slug or cycle not in BillingCycle.values:
        return None
    # The catalogue on sale as this process keeps it (no query while it is current), as the
    # pricing and buy pages show it; the purchase itself reads the price from the database.
    plan = catalog_on_sale().by_slug.get(plan_slug)
    if plan is None or not any(price.cycle == cycle for price in plan.prices.all()):
        return None
    wanted = (currency or "").strip().upper()
    sold = any(p.cycle == cycle and p.currency == wanted for p in plan.prices.all())
    return PurchaseIntent(
        plan_slug=plan.slug, plan_name=plan.name, cycle=cycle, currency=wanted if sold else ""
    )


def intent_from_url(url: str, *, _depth: int = 0) -> PurchaseIntent | None:
    """The intent a local buy-page address names (`/buy/business/?cycle=quarterly`), else None.
    An address nested in a sign-in link (`/accounts/login/?next=/buy/...`) counts too, one level
    deep: that is all a verification link carries."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    query = parse_qs(parts.query)
    if match.view_name == "billing:buy":
        return intent_for(
            plan_slug=match.kwargs["slug"],
            cycle=(query.get("cycle") or [""])[0],
            currency=(query.get("currency") or [""])[0],
        )
    nested = (query.get(NEXT_FIELD) or [""])[0]
    if _depth == 0 and nested.startswith("/") and not nested.startswith("//"):
        return intent_from_url(nested, _depth=1)
    return None


def remember(request: HttpRequest, intent: PurchaseIntent) -> None:
    stored = {"plan": intent.plan_slug, "cycle": intent.cycle}
    if intent.currency:
        stored["currency"] = intent.currency
    # Written only when it changes: each write saves the whole session row again.
    if request.session.get(SESSION_KEY) != stored:
        request.session[SESSION_KEY] = stored
    setattr(request, _CACHE_ATTR, intent)


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    setattr(request, _CACHE_ATTR, None)


def _already_bought(request: HttpRequest, intent: PurchaseIntent) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return Subscription.objects.filter(
        customer__user=user, plan__slug=intent.plan_slug, status__in=LIVE_STATUSES
    ).exists()


def _from_session(request: HttpRequest) -> PurchaseIntent | None:
    stored = getattr(request, "session", {}).get(SESSION_KEY)
    if not isinstance(stored, dict):
        return None
    intent = intent_for(
        plan_slug=str(stored.get("plan") or ""),
        cycle=stored.get("cycle"),
        currency=str(stored.get("currency") or ""),
    )
    if intent is not None and _already_bought(request, intent):
        # Bought by another way (the API, another tab): the purchase is over, so is the intent.
        request.session.pop(SESSION_KEY, None)
        return None
    return intent


def intent_of(request: HttpRequest | None) -> PurchaseIntent | None:
    """What this request's buyer is buying: the `next` address first (it is what the page will
    continue to), then the session; None when neither names a plan on sale. Read once per
    request."""
    if request is None:
        return None
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    candidate = requested_next_url(request)
    intent = intent_from_url(candidate) if candidate else None
    if intent is None:
        intent = _from_session(request)
    setattr(request, _CACHE_ATTR, intent)
    return intent
