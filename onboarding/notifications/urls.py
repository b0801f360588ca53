from django.urls import path

from onboarding.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all", views.inbox_read_all, name="read_all"),
    path("<int:message_id>/", views.inbox_detail, name="detail"),
    path("<int:message_id>/read", views.inbox_read, name="read"),
]
