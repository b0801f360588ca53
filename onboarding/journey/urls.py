from django.urls import path

from onboarding.journey import views

app_name = "journey"
urlpatterns = [
    path("", views.funnel, name="funnel"),
    path("data/", views.funnel_data, name="funnel_data"),
]
