from django.urls import path

from onboarding.worker import views

app_name = "tasks"
urlpatterns = [
    path("", views.task_overview, name="list"),
    path("<uuid:task_id>/requeue", views.task_requeue_view, name="requeue"),
]
