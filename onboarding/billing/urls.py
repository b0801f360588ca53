from django.urls import path

from onboarding.billing import confirm_views, plan_views, staff_views, views

app_name = "billing"
urlpatterns = [
    path("buy/<slug:slug>/", views.buy, name="buy"),
    path(
        "account/subscriptions/<int:subscription_id>/cycle/",
        views.change_cycle,
        name="change_cycle",
    ),
    path(
        "account/subscriptions/<int:subscription_id>/plan/",
        plan_views.plan_change,
        name="plan_change",
    ),
    path(
        "account/subscriptions/<int:subscription_id>/plan/scheduled/cancel/",
        plan_views.plan_change_scheduled_cancel,
        name="scheduled_change_cancel",
    ),
    path("account/invoices/", views.invoice_list, name="invoices"),
    path("account/invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("account/invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("account/invoices/<int:invoice_id>/pay/", views.invoice_pay_now, name="invoice_pay"),
    path(
        "account/invoices/<int:invoice_id>/confirm/",
        confirm_views.invoice_confirm,
        name="invoice_confirm",
    ),
    path(
        "account/invoices/<int:invoice_id>/credit-notes/<int:credit_note_id>/pdf/",
        views.credit_note_pdf,
        name="credit_note_pdf",
    ),
    # Staff pages: under /staff/, so StaffAccessMiddleware guards them (role and TOTP).
    path("staff/invoices/", staff_views.invoice_list, name="staff_invoices"),
    path(
        "staff/subscriptions/<int:subscription_id>/plan/",
        plan_views.staff_plan_change,
        name="staff_plan_change",
    ),
    path(
        "staff/subscriptions/<int:subscription_id>/plan/scheduled/cancel/",
        plan_views.staff_scheduled_change_cancel,
        name="staff_scheduled_change_cancel",
    ),
    path("staff/invoices/<int:invoice_id>/", staff_views.invoice_detail, name="staff_invoice"),
    path(
        "staff/invoices/<int:invoice_id>/refund/",
        staff_views.invoice_refund_view,
        name="staff_invoice_refund",
    ),
    path(
        "staff/invoices/<int:invoice_id>/void/",
        staff_views.invoice_void_view,
        name="staff_invoice_void",
    ),
    path(
        "staff/invoices/<int:invoice_id>/dunning-decision/",
        staff_views.invoice_dunning_decide_view,
        name="staff_invoice_dunning_decide",
    ),
    path("staff/invoices/<int:invoice_id>/pdf/", staff_views.invoice_pdf, name="staff_invoice_pdf"),
    path(
        "staff/invoices/<int:invoice_id>/credit-notes/<int:credit_note_id>/pdf/",
        staff_views.credit_note_pdf,
        name="staff_credit_note_pdf",
    ),
]
