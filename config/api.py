"""The JSON API at /api/v1/: one NinjaAPI, one router per app, errors shaped in one place."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja.security import django_auth

from config.openapi import OnboardingAPI
from onboarding.acceptance.api import router as acceptance_router
from onboarding.accounts.api import router as me_router
from onboarding.accounts.events import hidden_row_refused
from onboarding.accounts.middleware import StaffAccessMiddleware, staff_access_verified
from onboarding.accounts.permissions import StaffAuth
from onboarding.alerts.api import router as alerts_router
from onboarding.audit.api import router as audit_router
from onboarding.billing.api import invoices_router, staff_invoices_router
from onboarding.billing.api import router as subscriptions_router
from onboarding.catalog.api import router as catalog_router
from onboarding.contracts.api import me_router as contracts_router
from onboarding.contracts.api import staff_router as staff_contracts_router
from onboarding.core.access import RowHidden
from onboarding.core.errors import DomainError
from onboarding.health.api import router as health_router
from onboarding.journey.api import staff_router as funnel_router
from onboarding.notifications.api import inbox_router, mail_router
from onboarding.payments.api import payments_router
from onboarding.payments.api import router as card_router
from onboarding.portal.api import journey_router
from onboarding.risk.api import router as risk_router
from onboarding.sysops.api import customers_router, me_requests_router, staff_requests_router
from onboarding.sysops.credit_api import router as service_credits_router
from onboarding.sysops.credit_models import DECIDERS
from onboarding.testclocks.api import router as test_clocks_router
from onboarding.webhooks.api import router as webhooks_router

STAFF_ACCESS_MIDDLEWARE = f"{StaffAccessMiddleware.__module__}.{StaffAccessMiddleware.__qualname__}"


class GuardedStaffAuth(StaffAuth):
    """StaffAuth that trusts StaffAccessMiddleware's answer instead of asking the database again.

    The middleware marks a request it has let in (staff_access_verified: this user, a role it
    guards the path with, an authenticator app; one TOTP query). When it marked this request,
    for this user, with roles that are all among ours, that check is the one StaffAuth would
    make, so repeating the TOTP query buys nothing. A request it did not mark (the middleware
    removed or skipped, a path it does not guard, narrower roles) gets the full check.
    """

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        verified = staff_access_verified(request)
        if verified is not None and verified <= self.roles and request.user.role in verified:
            return request.user
        return super().authenticate(request, key)


api = OnboardingAPI(
    title="Onboarding API",
    version="1",
    description=(
        "Support contracts: accounts, billing, contracts, back office, acceptance, risk.\n\n"
        "**Money** is one object, `MoneyOut`: `amount_minor` (integer minor units), `currency` "
        "(ISO 4217) and `display` (formatted for people, never for arithmetic). Every answer "
        "gives its amounts in it: the catalog, subscriptions, invoices and their lines, credit "
        "notes, contracts, payments and the back office.\n\n"
        "**Naming:** an amount's object takes the name of its flat field without `_minor` "
        "(`amount_minor` gives `amount`, `tax_minor` gives `tax`, `total_minor` gives `total`); "
        "where that name is held by a formatted string, the object is `<name>_money` (invoices' "
        "`total_money`, payments' `amount_money`). A record's own `currency` stays.\n\n"
        "**Deprecated** (marked so in the schemas, they go in the next release): the flat "
        "`*_minor` amounts beside their objects (the catalog price's `currency` too) and the "
        "formatted strings invoices' `total` and payments' `amount`."
    ),
    urls_namespace="api",
    auth=django_auth,
)

api.add_router("/catalog/", catalog_router, tags=["catalog"])
api.add_router("/me/", me_router, tags=["me"])
api.add_router("/me/card", card_router, tags=["me"])
api.add_router("/me/payments", payments_router, tags=["me"])
api.add_router("/me/subscriptions", subscriptions_router, tags=["me"])
api.add_router("/me/invoices", invoices_router, tags=["invoices"])
api.add_router("/me/journey", journey_router, tags=["me"])
api.add_router("/me/contracts", contracts_router, tags=["contracts"])
api.add_router("/me/requests", me_requests_router, tags=["requests"])
api.add_router("/inbox/", inbox_router, tags=["inbox"])
# Staff routers authenticate with StaffAuth (staff role + TOTP), behind StaffAccessMiddleware,
# which has checked both already (GuardedStaffAuth does not ask again).
staff_auth = GuardedStaffAuth()
api.add_router("/staff/funnel", funnel_router, tags=["funnel"], auth=staff_auth)
api.add_router("/staff/invoices", staff_invoices_router, tags=["invoices"], auth=staff_auth)
api.add_router("/staff/contracts", staff_contracts_router, tags=["contracts"], auth=staff_auth)
api.add_router("/staff/audit/", audit_router, tags=["audit"], auth=staff_auth)
api.add_router("/staff/alerts/", alerts_router, tags=["alerts"], auth=staff_auth)
api.add_router("/staff/mail/", mail_router, tags=["mail"], auth=staff_auth)
api.add_router("/staff/customers", customers_router, tags=["sysops"], auth=staff_auth)
api.add_router("/staff/requests", staff_requests_router, tags=["sysops"], auth=staff_auth)
# Managers and admins only: other staff get 403 here (recorded), before any handler runs.
api.add_router(
    "/staff/service-credits",
    service_credits_router,
    tags=["sysops"],
    auth=GuardedStaffAuth(roles=DECIDERS),
)
api.add_router("/staff/acceptance", acceptance_router, tags=["acceptance"], auth=staff_auth)
api.add_router("/staff/risk", risk_router, tags=["risk"], auth=staff_auth)
api.add_router("/staff/health", health_router, tags=["health"], auth=staff_auth)
api.add_router("/staff/webhooks", webhooks_router, tags=["webhooks"], auth=staff_auth)
api.add_router("/staff/test-clocks", test_clocks_router, tags=["test clocks"], auth=staff_auth)


@api.get("/", auth=None, include_in_schema=False)
def api_root(request: HttpRequest) -> dict[str, str]:
    """Where a person or a client landing on /api/v1/ finds the API's description."""
    return {
        "name": api.title,
        "version": api.version,
        "openapi": request.build_absolute_uri("openapi.json"),
        "docs": request.build_absolute_uri("docs"),
    }


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body = {"detail": exc.message, "code": exc.code}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(ValidationError)
def model_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A model's full_clean() refusal, shaped like ninja's own 422 answers."""
    errors = (
        [
            {"loc": ["body", field], "msg": str(message), "type": "value_error"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        if hasattr(exc, "error_dict")
        else [{"loc": ["body"], "msg": m, "type": "value_error"} for m in exc.messages]
    )
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    if isinstance(exc, RowHidden):
        hidden_row_refused(request, exc)
    return api.create_response(
        request, {"detail": gettext("Not found."), "code": "not_found"}, status=404
    )
