"""The health score's staff pages, mounted under /staff/health/ in the "health" namespace."""

from django.urls import path

from onboarding.health import views

app_name = "health"

urlpatterns = [
    path("", views.queue, name="queue"),
]
