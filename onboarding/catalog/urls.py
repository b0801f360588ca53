from django.urls import path

from onboarding.catalog import views

app_name = "catalog"
urlpatterns = [path("", views.pricing, name="pricing")]
