import logging

from onboarding.core.context import current_request_id


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the request id of the work that produced it.

    The id comes from the request context (set by RequestIdMiddleware, the worker and the relay).
    Django logs a 4xx/5xx answer ("Not Found: ...") after the middleware has returned, so for
    those lines the id is read from the request the record carries.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            request = getattr(record, "request", None)
            record.request_id = current_request_id() or getattr(request, "request_id", "") or "-"
        return True
