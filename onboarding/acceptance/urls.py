from django.urls import path

from onboarding.acceptance import views

app_name = "acceptance"

urlpatterns = [
    path("", views.console, name="console"),
    path("contracts/<int:contract_id>/", views.contract_page, name="contract"),
    path(
        "contracts/<int:contract_id>/requirements/",
        views.requirement_add_view,
        name="requirement_add",
    ),
    path(
        "contracts/<int:contract_id>/requirements/from-template/",
        views.requirements_template_view,
        name="requirements_template",
    ),
    path("requirements/<int:requirement_id>/rate/", views.requirement_rate_view, name="rate"),
    path("requirements/<int:requirement_id>/edit/", views.requirement_edit_view, name="edit"),
    path(
        "requirements/<int:requirement_id>/remove/",
        views.requirement_remove_view,
        name="remove",
    ),
    path(
        "reviews/<int:review_id>/acknowledge/",
        views.review_acknowledge_view,
        name="acknowledge",
    ),
    path("reviews/<int:review_id>/conditions/", views.review_conditions_view, name="conditions"),
    path("reviews/<int:review_id>/remediation/", views.review_remediation_view, name="remediation"),
    path("reviews/<int:review_id>/escalate/", views.review_escalate_view, name="escalate"),
    path("reviews/<int:review_id>/cancel-contract/", views.review_cancel_view, name="cancel"),
]
