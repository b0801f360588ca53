"""The project's NinjaAPI: its OpenAPI document names the answers every operation can give, not
only its own; and it refuses text with NUL characters (which PostgreSQL cannot store) as a 422.

Each handler declares its own outcomes (`response={200: ..., 404: dict, 409: dict}`). Some answers
come from the framework and the guards in front of every handler instead, and django-ninja leaves
them out of the document:

- 401 for an operation that needs a session, to anyone not signed in;
- 403 for an unsafe method (POST, PUT, PATCH, DELETE) under session auth whose CSRF check fails;
- 403 and 404 for a staff operation (StaffAuth, StaffAccessMiddleware): staff without the role or
  the second factor, and a customer at a staff door (who is told there is nothing there);
- 422 for an operation with parameters or a body that do not validate;
- 400 for a body that is not JSON at all.

`OnboardingAPI` adds these to every operation that lacks them, so a client (and schemathesis)
knows them, and a new router gets them without declaring them. The 422 also covers a NUL
character in any path, query or body value, refused before a handler sees it.

Every answer is JSON. django-ninja answers a method no operation of a path takes with a text/html
405, and with DEBUG on a failure with a plain-text traceback; here both are JSON like the rest. (A
path no operation takes is config/urls.py's catch-all under /api/.)
"""

import contextlib
import json
from functools import wraps
from inspect import iscoroutinefunction
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.request import RawPostDataException
from django.urls import URLPattern
from django.utils.translation import gettext, gettext_lazy
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from config.views import server_error
from onboarding.accounts.permissions import StaffAuth
from onboarding.alerts.failures import FailureAlertMiddleware
from onboarding.core.api_errors import translated_errors, translated_http_error

ERROR_SCHEMA_NAME = "ApiError"
ERROR_SCHEMA = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "description": "What went wrong, or one entry per field that does not validate",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}],
        },
        "code": {"title": "Code", "type": "string"},
    },
    "required": ["detail"],
}
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def _answer(description: str) -> dict:
    ref = f"#/components/schemas/{ERROR_SCHEMA_NAME}"
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def common_answers(method: str, operation: dict) -> dict[int, str]:
    """The statuses the framework and guards may answer for `operation`, with descriptions."""
    schemes = {name for requirement in operation.get("security") or [] for name in requirement}
    answers = {}
    if "requestBody" in operation:
        answers[400] = "The body is not JSON."
    if schemes:
        answers[401] = "Sign in first."
        if method in UNSAFE_METHODS:
            answers[403] = "The CSRF check failed."
    # The scheme is named after the auth class: StaffAuth or a subclass such as GuardedStaffAuth.
    if any(name.endswith(StaffAuth.__name__) for name in schemes):
        answers[403] = "Your role does not allow this, or you have no authenticator app yet."
        answers[404] = "Not found (also what a customer is told at a staff door)."
    if operation.get("parameters") or "requestBody" in operation:
        answers[422] = "The input does not validate; each error names its field."
    return answers


def document_common_answers(document: dict) -> dict:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_SCHEMA_NAME, ERROR_SCHEMA)
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = {str(status) for status in responses}
            for status, description in common_answers(method, operation).items():
                if str(status) not in declared:
                    responses[status] = _answer(description)
    return document


NUL = "\x00"
NUL_MESSAGE = gettext_lazy("Text may not contain NUL characters.")


def _nul_errors(value: Any, loc: list) -> list[dict]:
    """An error for each string (key or value) holding a NUL, anywhere inside `value`."""
    if isinstance(value, str):
        return (
            [{"type": "value_error", "loc": loc, "msg": str(NUL_MESSAGE)}] if NUL in value else []
        )
    if isinstance(value, dict):
        errors = []
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                errors.append({"type": "value_error", "loc": loc, "msg": str(NUL_MESSAGE)})
            errors += _nul_errors(item, [*loc, key])
        return errors
    if isinstance(value, list):
        return [error for i, item in enumerate(value) for error in _nul_errors(item, [*loc, i])]
    return []


def nul_input_errors(request: HttpRequest) -> list[dict]:
    """Field errors for NUL characters in a request's path, query or JSON body.

    PostgreSQL text cannot hold NUL, so such input would fail in the database (a 500) or in a
    failure guard (a 503 with an admin alert) instead of being refused as the client's mistake.
    """
    match = getattr(request, "resolver_match", None)
    errors = _nul_errors(dict(match.kwargs) if match else {}, ["path"])
    errors += _nul_errors({key: request.GET.getlist(key) for key in request.GET}, ["query"])
    try:
        body = request.body
    except RawPostDataException:  # a multipart body already read as files: not JSON
        body = b""
    if b"\x00" in body or b"\\u0000" in body:
        with contextlib.suppress(ValueError):  # not JSON: django-ninja answers 400 itself
            errors += _nul_errors(json.loads(body), ["body"])
    for error in errors:  # a query parameter is named, not the position of its value
        if error["loc"][0] == "query":
            error["loc"] = error["loc"][:2]
    return errors


# Exceptions Django itself turns into 4xx answers (handler403, handler404, handler400).
DJANGO_ANSWERS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)


class OnboardingAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any):
        return document_common_answers(super().get_openapi_schema(**kwargs))

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        return [self._json_405(pattern) for pattern in patterns], app_name, namespace

    def _json_405(self, pattern: URLPattern) -> URLPattern:
        view = pattern.callback
        if iscoroutinefunction(view):  # none today; a sync wrapper would not await it
            return pattern

        @wraps(view)  # keeps csrf_exempt: django-ninja checks CSRF itself
        def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            if not isinstance(response, HttpResponseNotAllowed):
                return response
            body = {"detail": gettext("Method not allowed."), "code": "method_not_allowed"}
            json_response = self.create_response(request, body, status=405)
            json_response["Allow"] = response["Allow"]
            return json_response

        return URLPattern(pattern.pattern, answer, pattern.default_args, pattern.name)

    def set_default_exception_handlers(self) -> None:
        super().set_default_exception_handlers()
        self.add_exception_handler(Exception, self._unexpected_error)
        self.add_exception_handler(ValidationError, self._validation_error)
        self.add_exception_handler(HttpError, self._http_error)

    def _validation_error(self, request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # ninja's 422, with pydantic's English messages in the caller's language.
        return self.create_response(request, {"detail": translated_errors(exc.errors)}, status=422)

    def _http_error(self, request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's 401 ("Unauthorized") and CSRF 403, in the caller's language.
        body = {"detail": translated_http_error(str(exc))}
        return self.create_response(request, body, status=exc.status_code)

    def _unexpected_error(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        if not settings.DEBUG or isinstance(exc, DJANGO_ANSWERS):
            # Django answers: FailureAlertMiddleware tells an admin, handler500 answers JSON.
            raise exc
        # DEBUG (make run): Django's answer would be its HTML traceback page. The same as in
        # production instead; the traceback goes to the log with the admin alert.
        FailureAlertMiddleware(get_response=None).process_exception(request, exc)
        return server_error(request)

    def create_temporal_response(self, request: HttpRequest) -> HttpResponse:
        # django-ninja calls this once per operation, after authentication and before reading
        # the input, inside its error handling: the place to refuse what no handler can store.
        errors = nul_input_errors(request)
        if errors:
            raise ValidationError(errors)
        return super().create_temporal_response(request)
