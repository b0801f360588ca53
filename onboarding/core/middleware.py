import logging
import re
import time

from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.functional import empty

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
    secret keys, which must stay out of logs and metric labels.

    A middleware can answer before the URL resolver runs (StaffAccessMiddleware's refusals, a
    staff session signed out when idle): the path is then resolved here, once per request, so
    its route is named still; "unmatched" is left for paths no pattern matches."""
    match = getattr(request, "resolver_match", None)
    if match is None and getattr(request, "liveness_probe", False):
        return "healthz"
    if match is None:
        match = getattr(request, "_route_resolved", None)
        if match is None:
            try:
                match = resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404:
                match = False
            request._route_resolved = match
        if match is False:
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

    It answers whatever the Host header says, on purpose: load balancers and kubelets probe by
    address (Host: 10.0.3.7:8000), and a liveness failure restarts a process that is fine, so
    ALLOWED_HOSTS must not decide it. The answer is a constant that quotes nothing from the
    request (no host, no URL, no cookie), so there is nothing for a forged Host to poison; every
    other path, /readyz and /metrics included, still refuses a host it does not serve (400).
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
        if "Cache-Control" not in response and signed_in(request):
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
        return response


def signed_in(request: HttpRequest) -> bool:
    """Whether the request carries a signed-in user, without loading one nobody asked for.

    Authentication finds a user only through the session's user id (django.contrib.auth.get_user
    answers AnonymousUser without it), so a request whose user was never read and whose session
    holds no user id is anonymous: no session row, user row or lazy object is touched for it.
    """
    user = getattr(request, "user", None)
    if user is None:
        return False
    if getattr(user, "_wrapped", None) is empty:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY not in session:
            return False
    return bool(user.is_authenticated)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, building the site-wide header once instead of twice per response.

    django-csp builds the policy from settings on every response, and the report-only one too
    even when none is configured. A response with no per-view policy (csp decorators) and no nonce
    gets the same header every time, so it is built once per settings object; anything else goes
    through django-csp unchanged.
    """

    _cached: tuple[object, object, HttpResponse] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if settings.DEBUG or _has_own_policy(request, response) or _excludes_urls():
            return super().process_response(request, response)
        template = self._site_wide_headers()
        for header in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
            if header in template and header not in response:
                response[header] = template[header]
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _site_wide_headers(self) -> HttpResponse:
        """What django-csp sets on a plain response, for the current settings objects."""
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        cached = CSPMiddleware._cached
        if cached is not None and cached[0] is policy and cached[1] is report_only:
            return cached[2]
        template = super().process_response(HttpRequest(), HttpResponse())
        CSPMiddleware._cached = (policy, report_only, template)
        return template


_OWN_POLICY_ATTRIBUTES = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


def _has_own_policy(request: HttpRequest, response: HttpResponse) -> bool:
    if getattr(request, "_csp_nonce", None) is not None:
        return True
    return any(getattr(response, name, None) is not None for name in _OWN_POLICY_ATTRIBUTES)


def _excludes_urls() -> bool:
    """EXCLUDE_URL_PREFIXES depends on the path: the site-wide header is not the whole story."""
    for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        if (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES"):
            return True
    return False
