"""The customer's own repair and troubleshoot requests, mounted under /account/requests/."""

from django.urls import path

from onboarding.sysops import views

app_name = "requests"
urlpatterns = [
    path("", views.my_requests, name="list"),
    path("new/", views.my_request_new, name="new"),
    path("<int:request_id>/", views.my_request_detail, name="detail"),
]
