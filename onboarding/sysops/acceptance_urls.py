"""Acceptance's staff pages, mounted under /staff/acceptance/ in the "acceptance" namespace."""

from django.urls import path

from onboarding.sysops import acceptance_views

app_name = "acceptance"

urlpatterns = [
    path("", acceptance_views.console, name="console"),
    path("contracts/<int:contract_id>/", acceptance_views.contract_page, name="contract"),
    path(
        "contracts/<int:contract_id>/requirements/",
        acceptance_views.requirement_add_view,
        name="requirement_add",
    ),
    path(
        "contracts/<int:contract_id>/requirements/from-template/",
        acceptance_views.requirements_template_view,
        name="requirements_template",
    ),
    path(
        "requirements/<int:requirement_id>/rate/",
        acceptance_views.requirement_rate_view,
        name="rate",
    ),
    path(
        "requirements/<int:requirement_id>/edit/",
        acceptance_views.requirement_edit_view,
        name="edit",
    ),
    path(
        "requirements/<int:requirement_id>/remove/",
        acceptance_views.requirement_remove_view,
        name="remove",
    ),
    path(
        "reviews/<int:review_id>/acknowledge/",
        acceptance_views.review_acknowledge_view,
        name="acknowledge",
    ),
    path(
        "reviews/<int:review_id>/conditions/",
        acceptance_views.review_conditions_view,
        name="conditions",
    ),
    path(
        "reviews/<int:review_id>/remediation/",
        acceptance_views.review_remediation_view,
        name="remediation",
    ),
    path(
        "reviews/<int:review_id>/escalate/", acceptance_views.review_escalate_view, name="escalate"
    ),
    path(
        "reviews/<int:review_id>/cancel-contract/",
        acceptance_views.review_cancel_view,
        name="cancel",
    ),
]
