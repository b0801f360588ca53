from django.urls import path

from onboarding.testclocks import views

app_name = "testclocks"
urlpatterns = [
    path("", views.clock_list_view, name="list"),
    path("<int:clock_id>/", views.clock_detail, name="detail"),
    path("<int:clock_id>/customers", views.clock_customer_add, name="customer_add"),
    path("<int:clock_id>/advance", views.clock_advance_view, name="advance"),
]
