"""The health score's staff pages, mounted under /staff/health/ in the "health" namespace."""

from django.urls import path

from onboarding.health import views

app_name = "health"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("reviews/<int:review_id>/", views.review_page, name="review"),
    path(
        "reviews/<int:review_id>/acknowledge/",
        views.review_acknowledge_view,
        name="review_acknowledge",
    ),
    path("reviews/<int:review_id>/act/", views.review_act_view, name="review_act"),
]
