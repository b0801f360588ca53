from django.contrib import admin
from django.urls import include, path, re_path

from config import health, views
from config.api import api
from onboarding.core.metrics import metrics_view
from onboarding.payments.webhooks import stripe_webhook
from onboarding.portal.language import language_switch

# Error pages that never leak details; JSON under /api/. handler429 is allauth's rate-limit answer.
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
handler429 = "config.views.too_many_requests"

staff_patterns = (
    [
        path("", views.staff_home, name="home"),
        path("counts/", views.staff_nav_counts, name="nav_counts"),
    ],
    "staff",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    path("language/", language_switch, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # A path under /api/ that no operation takes: a JSON 404 with DEBUG on too (Django's own 404
    # page is HTML), and no redirect to the path with a slash (an HTML answer, a 500 for a POST).
    re_path(r"^api/", views.page_not_found),
    path("pricing/", include("onboarding.catalog.urls")),
    path("", include("onboarding.billing.urls")),
    path("account/card/", include("onboarding.payments.urls")),
    path("account/contracts/", include("onboarding.contracts.urls")),
    path("account/requests/", include("onboarding.sysops.portal_urls")),
    path("account/", include("onboarding.portal.urls")),
    path("inbox/", include("onboarding.notifications.urls")),
    path("staff/", include(staff_patterns)),
    path("staff/audit/", include("onboarding.audit.urls")),
    path("staff/alerts/", include("onboarding.alerts.urls")),
    path("staff/mail/", include("onboarding.notifications.staff_urls")),
    path("staff/tasks/", include("onboarding.worker.urls")),
    path("staff/funnel/", include("onboarding.journey.urls")),
    path("staff/contracts/", include("onboarding.contracts.staff_urls")),
    path("staff/acceptance/", include("onboarding.sysops.acceptance_urls")),
    path("staff/risk/", include("onboarding.risk.urls")),
    path("staff/health/", include("onboarding.health.urls")),
    path("staff/webhooks/", include("onboarding.webhooks.urls")),
    path("staff/test-clocks/", include("onboarding.testclocks.urls")),
    path("staff/", include("onboarding.sysops.staff_urls")),
]
