from django.urls import path

from onboarding.contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("<int:contract_id>/", views.contract_detail, name="detail"),
    path("<int:contract_id>/contract.pdf", views.contract_pdf_current, name="pdf_current"),
    path("<int:contract_id>/documents/<int:version>.pdf", views.contract_pdf, name="pdf"),
    path("<int:contract_id>/acknowledge", views.contract_acknowledge, name="acknowledge"),
    path(
        "<int:contract_id>/certificate/<int:acceptance_id>.pdf",
        views.contract_certificate,
        name="certificate",
    ),
    path("<int:contract_id>/email", views.contract_email, name="email"),
    path("<int:contract_id>/manage", views.contract_manage, name="manage"),
    path("<int:contract_id>/cancel", views.contract_cancel, name="cancel"),
]
