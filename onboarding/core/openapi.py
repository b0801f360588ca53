"""The API's OpenAPI document names the answers every operation can give, not only its own.

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
knows them, and a new router gets them without declaring them.
"""

from typing import Any

from ninja import NinjaAPI

from onboarding.accounts.permissions import StaffAuth

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
    if StaffAuth.__name__ in schemes:
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


class OnboardingAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any):
        return document_common_answers(super().get_openapi_schema(**kwargs))
