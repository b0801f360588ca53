from django.urls import path, re_path

from onboarding.contracts import views

app_name = "contracts_staff"
urlpatterns = [
    path("", views.staff_contract_list, name="list"),
    path("<int:contract_id>/", views.staff_contract_detail, name="detail"),
    path("<int:contract_id>/documents/<int:version>.pdf", views.staff_contract_pdf, name="pdf"),
    path(
        "<int:contract_id>/certificate/<int:acceptance_id>.pdf",
        views.staff_contract_certificate,
        name="certificate",
    ),
    re_path(
        r"^(?P<contract_id>[0-9]+)/(?P<action>retry|email|renew|amend|cancel)$",
        views.staff_contract_action,
        name="action",
    ),
]
