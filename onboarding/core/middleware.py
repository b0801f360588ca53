import logging
import re
import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers

from onboarding.core.context import new_request_id, request_context

# An incoming X-Request-ID is kept only if it looks like an id, never echoed raw into logs.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

access_logger = logging.getLogger("onboarding.access")


def client_ip_of(request: HttpRequest) -> str:
    # Behind a proxy, REMOTE_ADDR is the proxy; the deployment sets the real address there
    # (gunicorn --forwarded-allow-ips), so REMOTE_ADDR is the one value we trust.
    return request.META.get("REMOTE_ADDR", "")


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered, not the path: paths carry ids and, for password resets,
    secret keys, which must stay out of logs and metric labels."""
    match = getattr(request, "resolver_match", None)
    if match is None and getattr(request, "liveness_probe", False):
        return "healthz"
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unknown"


class RequestIdMiddleware:
    """Give every request an id, bind it for logs and audit, return it as X-Request-ID, and write
    one access line per request (method, route, status, duration; never the query string)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_REQUEST_ID.match(incoming) else new_request_id()
        request.request_id = rid
        with request_context(request_id=rid, client_ip=client_ip_of(request)):
            started = time.perf_counter()
            response = self.get_response(request)
            access_logger.info(
                "%s %s %s",
                request.method,
                route_of(request),
                response.status_code,
                extra={
                    "method": request.method,
                    "route": route_of(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "client_ip": client_ip_of(request),
                },
            )
        response["X-Request-ID"] = rid
        return response


LIVENESS_PATH = "/healthz"


def liveness_response() -> JsonResponse:
    """The process answers: nothing else is asked (no session, user, database or template)."""
    response = JsonResponse({"status": "ok"})
    add_never_cache_headers(response)
    return response


class LivenessMiddleware:
    """Answers /healthz before sessions, authentication and the rest of the stack run.

    A load balancer probes it every few seconds, often with a browser's cookies when people test
    it by hand; none of that may cost a session or user query. It sits after RequestIdMiddleware
    and MetricsMiddleware (the probe still gets a request id, an access line and a count) and
    after SecurityMiddleware (HTTPS redirect exemption and HSTS as on any answer).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == LIVENESS_PATH:
            request.liveness_probe = True  # route_of names it: no URL resolution happened
            return liveness_response()
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set (ASVS 8.2.1, 14.4).

    - Pages for a signed-in user are never stored by browsers or shared caches (unless the view
      chose its own Cache-Control).
    - Browser features the product never uses are switched off.
    """

    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), usb=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
        return response
