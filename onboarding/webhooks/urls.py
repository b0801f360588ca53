from django.urls import path

from onboarding.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list_view, name="list"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("<int:endpoint_id>/pause", views.endpoint_pause, name="pause"),
    path("<int:endpoint_id>/delete", views.endpoint_delete_view, name="delete"),
    path("<int:endpoint_id>/rotate", views.endpoint_rotate, name="rotate"),
    path("<int:endpoint_id>/replay", views.endpoint_replay, name="replay"),
    path(
        "<int:endpoint_id>/deliveries/<int:delivery_id>/resend",
        views.delivery_resend_view,
        name="resend",
    ),
]
