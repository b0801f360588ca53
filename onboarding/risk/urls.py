from django.urls import path

from onboarding.risk import views

app_name = "risk"

urlpatterns = [
    path("", views.board, name="board"),
    path("events", views.events, name="events"),
    path("counts.json", views.counts, name="counts"),
    path("<int:event_id>/resolve/", views.resolve, name="resolve"),
]
