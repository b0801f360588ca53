from django.urls import path

from onboarding.notifications import views

app_name = "mail"
urlpatterns = [
    path("", views.mail_list, name="list"),
    path("<int:mail_id>/", views.mail_detail, name="detail"),
    path("<int:mail_id>/html", views.mail_html, name="html"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:message_id>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<int:message_id>/requeue", views.outbox_requeue_view, name="outbox_requeue"),
]
