"""Staff console pages, mounted under /staff/ (StaffAccessMiddleware guards them all)."""

from django.urls import path

from onboarding.sysops import credit_views, views

app_name = "sysops"
urlpatterns = [
    path("customers/", views.customer_search_page, name="customer_search"),
    path("customers/<int:customer_id>/", views.customer_overview_page, name="customer"),
    path("sla/breaches/", views.sla_breach_report_page, name="sla_breach_report"),
    path("sla/breaches.csv", views.sla_breach_report_csv, name="sla_breach_report_csv"),
    path("requests/", views.request_queue, name="request_queue"),
    path("requests/<int:request_id>/", views.staff_request_detail, name="request_detail"),
    path("requests/<int:request_id>/assign", views.staff_request_assign, name="request_assign"),
    path("requests/<int:request_id>/comment", views.staff_request_comment, name="request_comment"),
    path("requests/<int:request_id>/status", views.staff_request_move, name="request_move"),
    path(
        "requests/<int:request_id>/severity",
        views.staff_request_severity,
        name="request_severity",
    ),
    path("service-credits/", credit_views.service_credit_list_page, name="service_credits"),
    path(
        "service-credits/<int:credit_id>/", credit_views.service_credit_page, name="service_credit"
    ),
    path(
        "service-credits/<int:credit_id>/approve",
        credit_views.service_credit_approve_view,
        name="service_credit_approve",
    ),
    path(
        "service-credits/<int:credit_id>/decline",
        credit_views.service_credit_decline_view,
        name="service_credit_decline",
    ),
]
