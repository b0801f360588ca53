"""Turning an unexpected failure into what the seed asks: tell the user, notify an admin.

A service that a page or the API calls declares its failure once, at its boundary:

    PROFILE_UPDATE_FAILED = FailureNotice("profile_update_failed", gettext_lazy("Your changes ..."))

    @failure_reported(PROFILE_UPDATE_FAILED, target="customer")
    @transaction.atomic
    def customer_profile_update(*, customer, actor, ...): ...

(the decorator outside the transaction, so the failed work has rolled back first). Pages and the
API then just call the service: the API's DomainError handler answers, and a page shows the
refusal with `core.forms.refusals_on`. `reported_failure` is the same as a block, for a door that
does more than one service call.

A DomainError or ValidationError (the user's own input, refused) passes through untouched.
Anything else is logged, raised as an admin alert, audited as a failure, and re-raised as
ServiceUnavailable with the message for the user. If the database itself is down, the alert
cannot be stored: the failure is logged at CRITICAL and mailed to settings.ADMINS directly, so
it is never silent.

The message is lazy (gettext_lazy where it is defined): the person is told it in the active
language when the failure is raised (their page's, the API call's), while the admin alert and
the mail to ADMINS record it in English, like the rest of what is recorded.
"""

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from allauth.core.exceptions import ImmediateHttpResponse, ReauthenticationRequired
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.core.mail import mail_admins
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise

from onboarding.alerts.events import failure_recorded
from onboarding.alerts.services import admin_alert_raise
from onboarding.core.context import current_request_id
from onboarding.core.errors import DomainError
from onboarding.core.middleware import route_of

logger = logging.getLogger("onboarding.failures")


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "unavailable"

    def __init__(self, message: str | Promise, **kwargs):
        # Worded now, in the language of whoever is told (a lazy notice would otherwise follow
        # whatever language is active wherever the refusal is finally printed).
        super().__init__(str(message), **kwargs)


def in_english(text: str | Promise) -> str:
    """What is recorded (alert, admin mail) of a message that may be lazy: its English source."""
    with translation.override("en"):
        return str(text)


@dataclass(frozen=True)
class FailureNotice:
    """What an action's unexpected failure is called (the alert reason, audited as
    "failure.<reason>") and what the person is told: defined once, beside the service."""

    reason: str
    message: str | Promise  # lazy: told in the reader's language, recorded in English


P = ParamSpec("P")
R = TypeVar("R")

# Set while a service with a declared failure runs: a service it calls in turn leaves the
# reporting to the outermost one, whose transaction is the one that rolls back.
_inside_boundary: ContextVar[bool] = ContextVar("inside_failure_boundary", default=False)


def _customer_id_of(target: models.Model | None) -> int | None:
    if target is None:
        return None
    if target._meta.label_lower == "accounts.customer":
        return target.pk
    return getattr(target, "customer_id", None)


def failure_reported(
    notice: FailureNotice, *, target: str | None = None, context: tuple[str, ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service: an unexpected failure in it is reported (admin alert, audit entry,
    log) against the keyword argument named `target` (its customer found from it) and the
    `actor` argument, and re-raised as ServiceUnavailable(notice.message). The keyword
    arguments named in `context` go into the alert's context, as text (what was being bought)."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if _inside_boundary.get():
                return service(*args, **kwargs)
            row = kwargs.get(target) if target else None
            token = _inside_boundary.set(True)
            try:
                with reported_failure(
                    reason=notice.reason,
                    user_message=notice.message,
                    target=row,
                    customer_id=_customer_id_of(row),
                    actor=kwargs.get("actor"),
                    context={name: str(kwargs.get(name)) for name in context} or None,
                ):
                    return service(*args, **kwargs)
            finally:
                _inside_boundary.reset(token)

        run.failure_notice = notice  # type: ignore[attr-defined]
        return run

    return decorate


def report_failure(
    *,
    reason: str,
    user_message: str | Promise,
    error: BaseException,
    target: models.Model | None = None,
    customer_id: int | None = None,
    actor=None,
    context: dict | None = None,
    severity: str = "error",
    until_resolved: bool = False,
) -> None:
    """Record an unexpected failure as an admin alert and an audit entry (mail if that fails).

    `severity` grades the alert: "error" for a failure on our side (the default), "warning" for
    one the customer caused and can fix (a declined card), which still tells an admin.
    `until_resolved` is for a failure that repeats until someone fixes it: its open alert keeps
    counting instead of a new alert and email every ALERT_DEDUPE_WINDOW (admin_alert_raise).
    """
    detail = f"{error.__class__.__name__}: {error}"[:500]
    user_message = in_english(user_message)  # staff read the alert and the log in English
    if severity == "warning":  # the customer's to fix: no traceback, no error in the log
        logger.warning("%s: %s", reason, detail)
    else:
        logger.error("%s: %s", reason, detail, exc_info=error)
    try:
        admin_alert_raise(
            reason=reason,
            message=f"{user_message} ({detail})",
            target=target,
            customer_id=customer_id,
            context={**(context or {}), "error": detail, "request_id": current_request_id()},
            severity=severity,
            until_resolved=until_resolved,
        )
        failure_recorded(
            reason=reason, detail=detail, actor=actor, target=target, customer_id=customer_id
        )
    except Exception as storing_failed:  # the database may be the thing that failed
        logger.critical(
            "could not record admin alert %s: %s", reason, storing_failed, exc_info=storing_failed
        )
        mail_admins(
            subject=f"[Onboarding] {reason}",
            message=(
                f"{user_message}\n\n{detail}\n\nThe alert could not be stored: {storing_failed}"
                # The reference the person was shown (the 500 page, the API's X-Request-ID).
                f"\n\nReference: {current_request_id()}"
            ),
            fail_silently=True,
        )


@contextmanager
def reported_failure(
    *,
    reason: str,
    user_message: str | Promise,
    target: models.Model | None = None,
    customer_id: int | None = None,
    actor=None,
    context: dict | None = None,
) -> Iterator[None]:
    try:
        yield
    except (DomainError, ValidationError):
        raise  # the user's own input, refused by a rule or a model's validation
    except Exception as error:
        report_failure(
            reason=reason,
            user_message=user_message,
            error=error,
            target=target,
            customer_id=customer_id,
            actor=actor,
            context=context,
        )
        raise ServiceUnavailable(user_message) from error


class FailureAlertMiddleware:
    """Any exception a view lets escape becomes an admin alert before the 500 page is shown.

    Innermost in MIDDLEWARE, so it sees the view's own exception. Sign-in and sign-up failures get
    their own reason ("account_unavailable", the seed's "access or account creation not
    available"); the person still sees the 500 page with the reference to quote.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied | Http404 | SuspiciousOperation):
            return None  # answered as 403/404/400 by Django, not failures of ours
        if isinstance(exception, ReauthenticationRequired | ImmediateHttpResponse):
            return None  # allauth's own answers (ask for the password again), not failures
        account_path = request.path.startswith("/accounts/")
        report_failure(
            reason="account_unavailable" if account_path else "unhandled_error",
            user_message=("Sign-in or sign-up failed" if account_path else "A page failed")
            + f": {request.method} {route_of(request)}",
            error=exception,
            actor=getattr(request, "user", None),
            # The route, not the path: a reset or verification path carries its secret key.
            context={"route": route_of(request), "method": request.method},
        )
        return None
