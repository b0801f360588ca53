import re

from django.http import HttpRequest, HttpResponse

from onboarding.core.context import new_request_id, request_context

# An incoming X-Request-ID is kept only if it looks like an id, never echoed raw into logs.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip_of(request: HttpRequest) -> str:
    # Behind a proxy, REMOTE_ADDR is the proxy; the deployment sets the real address there
    # (gunicorn --forwarded-allow-ips), so REMOTE_ADDR is the one value we trust.
    return request.META.get("REMOTE_ADDR", "")


class RequestIdMiddleware:
    """Give every request an id, bind it for logs and audit, and return it as X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_REQUEST_ID.match(incoming) else new_request_id()
        request.request_id = rid
        with request_context(request_id=rid, client_ip=client_ip_of(request)):
            response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response
