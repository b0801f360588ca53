from django.urls import path

from onboarding.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:alert_id>/", views.alert_detail, name="detail"),
    path("<int:alert_id>/acknowledge", views.alert_acknowledge, name="acknowledge"),
    path("<int:alert_id>/resolve", views.alert_resolve, name="resolve"),
]
