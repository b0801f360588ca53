from django.urls import path

from onboarding.billing import views

app_name = "billing"
urlpatterns = [
    path("buy/<slug:slug>/", views.buy, name="buy"),
    path(
        "account/subscriptions/<int:subscription_id>/cycle/",
        views.change_cycle,
        name="change_cycle",
    ),
]
