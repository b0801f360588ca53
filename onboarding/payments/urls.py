from django.urls import path

from onboarding.payments import views

app_name = "payments"
urlpatterns = [
    path("", views.card, name="card"),
    path("confirm/", views.card_confirm, name="card_confirm"),
]
