"""Errors a user can cause. Views and the API turn them into form errors and 4xx answers."""


class DomainError(Exception):
    """A business rule refused the action; `message` is written for the person who asked."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The action is not allowed in the object's current state (an illegal state move)."""

    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    """The person's role may not take this action (they may see the object)."""

    status_code = 403
    code = "forbidden"
